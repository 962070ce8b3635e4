//! CRC-16/MODBUS, the frame check of the keypad protocol.
//!
//! Parameters as the CRC catalogue lists them: width 16, polynomial 0x8005
//! (0xA001 bit-reversed), initial value 0xFFFF, input and output reflected,
//! no final XOR, check value 0x4B37 over ASCII "123456789". The frame carries
//! the CRC low byte first, so the CRC over frame bytes and CRC together is 0.
//! Frames are at most 64 bytes, so the bitwise form is fast enough and
//! matches the C reference in the protocol document.

/// Initial register value of CRC-16/MODBUS.
pub const CRC16_MODBUS_INIT: u16 = 0xFFFF;

/// Bit-reversed form of the CRC-16/MODBUS polynomial 0x8005.
const POLYNOMIAL_REVERSED: u16 = 0xA001;

/// Feeds one byte into a CRC-16/MODBUS register and returns the new register
/// value. Start from [`CRC16_MODBUS_INIT`].
pub fn crc16_modbus_update(crc: u16, byte: u8) -> u16 {
    let mut register = crc ^ u16::from(byte);
    for _ in 0..8 {
        let carry = register & 1 != 0;
        register >>= 1;
        if carry {
            register ^= POLYNOMIAL_REVERSED;
        }
    }
    register
}

/// Computes the CRC-16/MODBUS of `bytes`.
pub fn crc16_modbus(bytes: &[u8]) -> u16 {
    bytes.iter().fold(CRC16_MODBUS_INIT, |crc, &byte| {
        crc16_modbus_update(crc, byte)
    })
}
