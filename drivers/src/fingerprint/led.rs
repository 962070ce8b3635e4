//! Parameters of the R503 AuraLedConfig (0x35) command, from the Grow R503
//! user manual V1.2.2 ("Aura control").

/// Light pattern of an AuraLedConfig command (control code byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuraControl {
    /// 0x01: breathing light.
    Breathing,
    /// 0x02: flashing light.
    Flashing,
    /// 0x03: always on.
    On,
    /// 0x04: always off.
    Off,
    /// 0x05: gradually on.
    GraduallyOn,
    /// 0x06: gradually off.
    GraduallyOff,
}

impl AuraControl {
    /// Returns the control code byte.
    pub fn to_u8(self) -> u8 {
        match self {
            AuraControl::Breathing => 0x01,
            AuraControl::Flashing => 0x02,
            AuraControl::On => 0x03,
            AuraControl::Off => 0x04,
            AuraControl::GraduallyOn => 0x05,
            AuraControl::GraduallyOff => 0x06,
        }
    }

    /// Converts a control code byte; `None` for bytes the manual does not define.
    pub fn from_u8(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(AuraControl::Breathing),
            0x02 => Some(AuraControl::Flashing),
            0x03 => Some(AuraControl::On),
            0x04 => Some(AuraControl::Off),
            0x05 => Some(AuraControl::GraduallyOn),
            0x06 => Some(AuraControl::GraduallyOff),
            _ => None,
        }
    }
}

/// Colour index of an AuraLedConfig command.
///
/// NOTE: Adafruit's Fingerprint Sensor Library first defined only red,
/// blue and purple. Green, yellow, cyan and white were added to it later
/// from the R503 manual, and whether every R503 firmware shows them is not
/// verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuraColour {
    /// 0x01.
    Red,
    /// 0x02.
    Blue,
    /// 0x03.
    Purple,
    /// 0x04.
    Green,
    /// 0x05.
    Yellow,
    /// 0x06.
    Cyan,
    /// 0x07.
    White,
}

impl AuraColour {
    /// Returns the colour index byte.
    pub fn to_u8(self) -> u8 {
        match self {
            AuraColour::Red => 0x01,
            AuraColour::Blue => 0x02,
            AuraColour::Purple => 0x03,
            AuraColour::Green => 0x04,
            AuraColour::Yellow => 0x05,
            AuraColour::Cyan => 0x06,
            AuraColour::White => 0x07,
        }
    }

    /// Converts a colour index byte; `None` for bytes the manual does not define.
    pub fn from_u8(byte: u8) -> Option<Self> {
        match byte {
            0x01 => Some(AuraColour::Red),
            0x02 => Some(AuraColour::Blue),
            0x03 => Some(AuraColour::Purple),
            0x04 => Some(AuraColour::Green),
            0x05 => Some(AuraColour::Yellow),
            0x06 => Some(AuraColour::Cyan),
            0x07 => Some(AuraColour::White),
            _ => None,
        }
    }
}

/// Parameters of one AuraLedConfig command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuraSignal {
    /// Light pattern.
    pub control: AuraControl,
    /// Speed, 0x00–0xFF, for breathing, flashing and gradual patterns. The
    /// manual gives "256 gears, minimum 5 s cycle" but no unit per step.
    pub speed: u8,
    /// Colour.
    pub colour: AuraColour,
    /// Number of cycles for breathing and flashing; 0 repeats forever.
    pub count: u8,
}
