//! Confirmation codes: the first payload byte of every acknowledge packet.
//!
//! The table merges two vendor documents, because modules of this family
//! return codes from both:
//! - Hangzhou Grow "R503 Fingerprint Module User Manual" V1.1 (2019) and
//!   V1.2.2 (2022): 0x00–0x29 as listed there and 0xFC–0xFE.
//! - Synochip AS608 and related Chinese-language protocol documents: the
//!   codes Grow does not list (0x04, 0x05, 0x12, 0x14, 0x16, 0x17, 0x1E,
//!   0x23, 0x25, 0x28, 0xF0–0xF6).
//!
//! Where the two documents disagree on a meaning (0x19, 0x21, 0x22, 0x29),
//! the variant follows the Grow manual and its description names the
//! other reading.

use std::fmt;

/// Result of a command, as reported by the module in its acknowledge packet.
///
/// Every documented code has a named variant. Codes that no document
/// lists are kept as [`ConfirmationCode::Other`], so converting a byte to a
/// code and back is lossless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfirmationCode {
    /// 0x00: the command completed.
    Ok,
    /// 0x01: the module received a damaged or malformed command packet.
    PacketReceiveError,
    /// 0x02: no finger is on the sensor.
    NoFinger,
    /// 0x03: the module failed to capture the finger image.
    ImageFail,
    /// 0x04: the image is too dry or too faint to extract features (AS608).
    ImageTooDry,
    /// 0x05: the image is too wet or too smeared to extract features (AS608).
    ImageTooWet,
    /// 0x06: the image is too disorderly to extract features.
    ImageMess,
    /// 0x07: the image has too few feature points or is too small.
    FeatureFail,
    /// 0x08: the two templates do not match (Match command).
    NoMatch,
    /// 0x09: no template in the searched range matches (Search command).
    NotFound,
    /// 0x0A: the character files could not be combined into a template.
    EnrollMismatch,
    /// 0x0B: the page id is beyond the finger library.
    BadLocation,
    /// 0x0C: reading the template from the library failed, or it is invalid.
    DbReadFail,
    /// 0x0D: uploading the template failed.
    UploadFeatureFail,
    /// 0x0E: the module cannot receive the following data packets.
    PacketResponseFail,
    /// 0x0F: uploading the image failed.
    UploadFail,
    /// 0x10: deleting the template failed.
    DeleteFail,
    /// 0x11: clearing the finger library failed.
    DbClearFail,
    /// 0x12: the module cannot enter low-power mode (AS608).
    LowPowerFail,
    /// 0x13: the password is wrong.
    WrongPassword,
    /// 0x14: the system reset failed (AS608).
    ResetFail,
    /// 0x15: the image buffer contains no valid image.
    InvalidImage,
    /// 0x16: the online firmware upgrade failed (AS608).
    UpgradeFail,
    /// 0x17: a residual fingerprint remains, or the finger did not move
    /// between two captures (AS608).
    ResidualFinger,
    /// 0x18: reading or writing flash failed.
    FlashError,
    /// 0x19: undefined error.
    UndefinedError,
    /// 0x1A: invalid register number.
    InvalidRegister,
    /// 0x1B: invalid register value.
    BadRegisterValue,
    /// 0x1C: wrong notepad page number.
    BadNotepadPage,
    /// 0x1D: operating the communication port failed.
    PortFail,
    /// 0x1E: automatic enrollment failed (AS608).
    AutoEnrollFail,
    /// 0x1F: the finger library is full.
    LibraryFull,
    /// 0x20: the address in the packet is not the module's address.
    AddressError,
    /// 0x21: the password must be verified before this command.
    MustVerifyPassword,
    /// 0x22: the fingerprint template is empty.
    TemplateEmpty,
    /// 0x23: the fingerprint template is empty (AS608-family documents).
    NoTemplate,
    /// 0x24: the finger library is empty.
    LibraryEmpty,
    /// 0x25: the configured number of enrollment captures is wrong.
    BadEnrollCount,
    /// 0x26: the module timed out waiting for a finger.
    Timeout,
    /// 0x27: the fingerprint is already enrolled.
    FingerprintExists,
    /// 0x28: the template is linked to another record (AS608-family).
    TemplateLinked,
    /// 0x29: sensor hardware error.
    SensorError,
    /// 0xF0: a command with following data packets was received correctly.
    DataPacketsReceived,
    /// 0xF1: a command with following data packets was acknowledged.
    DataPacketsCommandAck,
    /// 0xF2: checksum error while writing internal flash (firmware update).
    FlashWriteChecksumError,
    /// 0xF3: package identifier error while writing internal flash.
    FlashWritePidError,
    /// 0xF4: package length error while writing internal flash.
    FlashWriteLengthError,
    /// 0xF5: code too long while writing internal flash.
    FlashWriteCodeTooLong,
    /// 0xF6: writing internal flash failed.
    FlashWriteFail,
    /// 0xFC: the module does not support the command.
    UnsupportedCommand,
    /// 0xFD: hardware error.
    HardwareError,
    /// 0xFE: the command failed.
    CommandFailed,
    /// Any code that no vendor document lists; "reserved" in both documents.
    Other(u8),
}

/// Every named code with its byte, in byte order. The tests use it to
/// check that the table, [`ConfirmationCode::from_u8`] and
/// [`ConfirmationCode::to_u8`] agree.
pub const DOCUMENTED_CODES: [(u8, ConfirmationCode); 52] = [
    (0x00, ConfirmationCode::Ok),
    (0x01, ConfirmationCode::PacketReceiveError),
    (0x02, ConfirmationCode::NoFinger),
    (0x03, ConfirmationCode::ImageFail),
    (0x04, ConfirmationCode::ImageTooDry),
    (0x05, ConfirmationCode::ImageTooWet),
    (0x06, ConfirmationCode::ImageMess),
    (0x07, ConfirmationCode::FeatureFail),
    (0x08, ConfirmationCode::NoMatch),
    (0x09, ConfirmationCode::NotFound),
    (0x0A, ConfirmationCode::EnrollMismatch),
    (0x0B, ConfirmationCode::BadLocation),
    (0x0C, ConfirmationCode::DbReadFail),
    (0x0D, ConfirmationCode::UploadFeatureFail),
    (0x0E, ConfirmationCode::PacketResponseFail),
    (0x0F, ConfirmationCode::UploadFail),
    (0x10, ConfirmationCode::DeleteFail),
    (0x11, ConfirmationCode::DbClearFail),
    (0x12, ConfirmationCode::LowPowerFail),
    (0x13, ConfirmationCode::WrongPassword),
    (0x14, ConfirmationCode::ResetFail),
    (0x15, ConfirmationCode::InvalidImage),
    (0x16, ConfirmationCode::UpgradeFail),
    (0x17, ConfirmationCode::ResidualFinger),
    (0x18, ConfirmationCode::FlashError),
    (0x19, ConfirmationCode::UndefinedError),
    (0x1A, ConfirmationCode::InvalidRegister),
    (0x1B, ConfirmationCode::BadRegisterValue),
    (0x1C, ConfirmationCode::BadNotepadPage),
    (0x1D, ConfirmationCode::PortFail),
    (0x1E, ConfirmationCode::AutoEnrollFail),
    (0x1F, ConfirmationCode::LibraryFull),
    (0x20, ConfirmationCode::AddressError),
    (0x21, ConfirmationCode::MustVerifyPassword),
    (0x22, ConfirmationCode::TemplateEmpty),
    (0x23, ConfirmationCode::NoTemplate),
    (0x24, ConfirmationCode::LibraryEmpty),
    (0x25, ConfirmationCode::BadEnrollCount),
    (0x26, ConfirmationCode::Timeout),
    (0x27, ConfirmationCode::FingerprintExists),
    (0x28, ConfirmationCode::TemplateLinked),
    (0x29, ConfirmationCode::SensorError),
    (0xF0, ConfirmationCode::DataPacketsReceived),
    (0xF1, ConfirmationCode::DataPacketsCommandAck),
    (0xF2, ConfirmationCode::FlashWriteChecksumError),
    (0xF3, ConfirmationCode::FlashWritePidError),
    (0xF4, ConfirmationCode::FlashWriteLengthError),
    (0xF5, ConfirmationCode::FlashWriteCodeTooLong),
    (0xF6, ConfirmationCode::FlashWriteFail),
    (0xFC, ConfirmationCode::UnsupportedCommand),
    (0xFD, ConfirmationCode::HardwareError),
    (0xFE, ConfirmationCode::CommandFailed),
];

impl ConfirmationCode {
    /// Converts the byte from an acknowledge packet; undocumented bytes
    /// become [`ConfirmationCode::Other`].
    pub fn from_u8(byte: u8) -> Self {
        use ConfirmationCode::*;
        match byte {
            0x00 => Ok,
            0x01 => PacketReceiveError,
            0x02 => NoFinger,
            0x03 => ImageFail,
            0x04 => ImageTooDry,
            0x05 => ImageTooWet,
            0x06 => ImageMess,
            0x07 => FeatureFail,
            0x08 => NoMatch,
            0x09 => NotFound,
            0x0A => EnrollMismatch,
            0x0B => BadLocation,
            0x0C => DbReadFail,
            0x0D => UploadFeatureFail,
            0x0E => PacketResponseFail,
            0x0F => UploadFail,
            0x10 => DeleteFail,
            0x11 => DbClearFail,
            0x12 => LowPowerFail,
            0x13 => WrongPassword,
            0x14 => ResetFail,
            0x15 => InvalidImage,
            0x16 => UpgradeFail,
            0x17 => ResidualFinger,
            0x18 => FlashError,
            0x19 => UndefinedError,
            0x1A => InvalidRegister,
            0x1B => BadRegisterValue,
            0x1C => BadNotepadPage,
            0x1D => PortFail,
            0x1E => AutoEnrollFail,
            0x1F => LibraryFull,
            0x20 => AddressError,
            0x21 => MustVerifyPassword,
            0x22 => TemplateEmpty,
            0x23 => NoTemplate,
            0x24 => LibraryEmpty,
            0x25 => BadEnrollCount,
            0x26 => Timeout,
            0x27 => FingerprintExists,
            0x28 => TemplateLinked,
            0x29 => SensorError,
            0xF0 => DataPacketsReceived,
            0xF1 => DataPacketsCommandAck,
            0xF2 => FlashWriteChecksumError,
            0xF3 => FlashWritePidError,
            0xF4 => FlashWriteLengthError,
            0xF5 => FlashWriteCodeTooLong,
            0xF6 => FlashWriteFail,
            0xFC => UnsupportedCommand,
            0xFD => HardwareError,
            0xFE => CommandFailed,
            other => Other(other),
        }
    }

    /// Returns the byte the module sends for this code.
    pub fn to_u8(self) -> u8 {
        use ConfirmationCode::*;
        match self {
            Ok => 0x00,
            PacketReceiveError => 0x01,
            NoFinger => 0x02,
            ImageFail => 0x03,
            ImageTooDry => 0x04,
            ImageTooWet => 0x05,
            ImageMess => 0x06,
            FeatureFail => 0x07,
            NoMatch => 0x08,
            NotFound => 0x09,
            EnrollMismatch => 0x0A,
            BadLocation => 0x0B,
            DbReadFail => 0x0C,
            UploadFeatureFail => 0x0D,
            PacketResponseFail => 0x0E,
            UploadFail => 0x0F,
            DeleteFail => 0x10,
            DbClearFail => 0x11,
            LowPowerFail => 0x12,
            WrongPassword => 0x13,
            ResetFail => 0x14,
            InvalidImage => 0x15,
            UpgradeFail => 0x16,
            ResidualFinger => 0x17,
            FlashError => 0x18,
            UndefinedError => 0x19,
            InvalidRegister => 0x1A,
            BadRegisterValue => 0x1B,
            BadNotepadPage => 0x1C,
            PortFail => 0x1D,
            AutoEnrollFail => 0x1E,
            LibraryFull => 0x1F,
            AddressError => 0x20,
            MustVerifyPassword => 0x21,
            TemplateEmpty => 0x22,
            NoTemplate => 0x23,
            LibraryEmpty => 0x24,
            BadEnrollCount => 0x25,
            Timeout => 0x26,
            FingerprintExists => 0x27,
            TemplateLinked => 0x28,
            SensorError => 0x29,
            DataPacketsReceived => 0xF0,
            DataPacketsCommandAck => 0xF1,
            FlashWriteChecksumError => 0xF2,
            FlashWritePidError => 0xF3,
            FlashWriteLengthError => 0xF4,
            FlashWriteCodeTooLong => 0xF5,
            FlashWriteFail => 0xF6,
            UnsupportedCommand => 0xFC,
            HardwareError => 0xFD,
            CommandFailed => 0xFE,
            Other(byte) => byte,
        }
    }

    /// Returns a short English description for logs and operator screens.
    pub fn description(self) -> &'static str {
        use ConfirmationCode::*;
        match self {
            Ok => "command completed",
            PacketReceiveError => "module received a damaged command packet",
            NoFinger => "no finger on the sensor",
            ImageFail => "failed to capture the finger image",
            ImageTooDry => "image too dry or too faint to extract features",
            ImageTooWet => "image too wet or too smeared to extract features",
            ImageMess => "image too disorderly to extract features",
            FeatureFail => "too few feature points, or the image is too small",
            NoMatch => "the two templates do not match",
            NotFound => "no matching fingerprint in the searched range",
            EnrollMismatch => "failed to combine the character files into a template",
            BadLocation => "page id is beyond the finger library",
            DbReadFail => "failed to read the template from the library, or it is invalid",
            UploadFeatureFail => "failed to upload the template",
            PacketResponseFail => "module cannot receive the following data packets",
            UploadFail => "failed to upload the image",
            DeleteFail => "failed to delete the template",
            DbClearFail => "failed to clear the finger library",
            LowPowerFail => "module cannot enter low-power mode",
            WrongPassword => "wrong password",
            ResetFail => "system reset failed",
            InvalidImage => "no valid image in the image buffer",
            UpgradeFail => "online firmware upgrade failed",
            ResidualFinger => "residual fingerprint, or the finger did not move between captures",
            FlashError => "failed to read or write flash",
            UndefinedError => {
                "undefined error (some AS60x firmware: random number generation failed)"
            }
            InvalidRegister => "invalid register number",
            BadRegisterValue => "invalid register value",
            BadNotepadPage => "wrong notepad page number",
            PortFail => "failed to operate the communication port",
            AutoEnrollFail => "automatic enrollment failed",
            LibraryFull => "finger library is full",
            AddressError => "packet address is not the module address",
            MustVerifyPassword => {
                "password must be verified first (some AS60x documents: wrong password)"
            }
            TemplateEmpty => "fingerprint template is empty (some AS60x documents: not empty)",
            NoTemplate => "fingerprint template is empty",
            LibraryEmpty => "finger library is empty",
            BadEnrollCount => "wrong number of enrollment captures configured",
            Timeout => "module timed out waiting for a finger",
            FingerprintExists => "fingerprint is already enrolled",
            TemplateLinked => "template is linked to another record",
            SensorError => "sensor hardware error (some AS60x documents: sensor init failed)",
            DataPacketsReceived => "data packets received correctly",
            DataPacketsCommandAck => "command packet of a data transfer acknowledged",
            FlashWriteChecksumError => "checksum error while writing internal flash",
            FlashWritePidError => "package identifier error while writing internal flash",
            FlashWriteLengthError => "package length error while writing internal flash",
            FlashWriteCodeTooLong => "code too long while writing internal flash",
            FlashWriteFail => "failed to write internal flash",
            UnsupportedCommand => "module does not support the command",
            HardwareError => "hardware error",
            CommandFailed => "command failed",
            Other(_) => "undocumented confirmation code",
        }
    }

    /// Returns whether the code reports an image that cannot be used, so
    /// the person should place the finger again.
    pub fn is_image_quality(self) -> bool {
        use ConfirmationCode::*;
        matches!(
            self,
            ImageFail
                | ImageTooDry
                | ImageTooWet
                | ImageMess
                | FeatureFail
                | InvalidImage
                | ResidualFinger
        )
    }
}

impl From<u8> for ConfirmationCode {
    fn from(byte: u8) -> Self {
        Self::from_u8(byte)
    }
}

impl From<ConfirmationCode> for u8 {
    fn from(code: ConfirmationCode) -> Self {
        code.to_u8()
    }
}

impl fmt::Display for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:02X} ({})", self.to_u8(), self.description())
    }
}
