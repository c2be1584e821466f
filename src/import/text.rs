//! Text as real files carry it: the encoding (detected from a byte-order mark or the first bytes,
//! or given), decoded as a stream so that memory stays flat in the file's size, and numbers as
//! Norwegian files write them.

use std::io::{self, Read};

use super::ImportError;

/// How many bytes are read ahead to detect the encoding.
const SNIFF_BYTES: usize = 64 * 1024;

/// A text encoding an import file may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// Windows-1252, which covers Latin-1 (ISO-8859-1) in every printable character.
    Windows1252,
}

impl Encoding {
    /// Reads an encoding name as given on the command line.
    pub fn parse(name: &str) -> Result<Self, ImportError> {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Self::Utf8),
            "utf-16le" | "utf-16" | "utf16le" => Ok(Self::Utf16Le),
            "utf-16be" | "utf16be" => Ok(Self::Utf16Be),
            "windows-1252" | "cp1252" | "latin-1" | "latin1" | "iso-8859-1" => {
                Ok(Self::Windows1252)
            }
            _ => Err(ImportError::Option(format!(
                "unknown encoding {name:?}: use utf-8, utf-16le, utf-16be or windows-1252 (latin-1)"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::Utf16Le => "UTF-16LE",
            Self::Utf16Be => "UTF-16BE",
            Self::Windows1252 => "Windows-1252",
        }
    }

    fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Self::Utf8 => encoding_rs::UTF_8,
            Self::Utf16Le => encoding_rs::UTF_16LE,
            Self::Utf16Be => encoding_rs::UTF_16BE,
            Self::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }
}

/// The encoding of a file that begins with `head`, and why: a byte-order mark; NUL bytes beside
/// ASCII ones (UTF-16 without a mark); valid UTF-8; otherwise Windows-1252, which decodes any
/// byte.
fn detect(head: &[u8]) -> (Encoding, String) {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return (Encoding::Utf8, "a UTF-8 byte-order mark".into());
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return (Encoding::Utf16Le, "a UTF-16LE byte-order mark".into());
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return (Encoding::Utf16Be, "a UTF-16BE byte-order mark".into());
    }
    let pairs = head.len() / 2;
    let nul_at = |parity: usize| {
        head.chunks_exact(2)
            .filter(|pair| pair[parity] == 0 && pair[1 - parity] != 0)
            .count()
    };
    if pairs > 0 && nul_at(1) * 2 > pairs {
        return (
            Encoding::Utf16Le,
            "NUL bytes after ASCII ones (UTF-16LE without a byte-order mark)".into(),
        );
    }
    if pairs > 0 && nul_at(0) * 2 > pairs {
        return (
            Encoding::Utf16Be,
            "NUL bytes before ASCII ones (UTF-16BE without a byte-order mark)".into(),
        );
    }
    match std::str::from_utf8(head) {
        // A character cut off at the end of the sample is not an error.
        Err(error) if error.error_len().is_some() => (
            Encoding::Windows1252,
            format!(
                "the first {} bytes are not UTF-8 (byte {} is not)",
                head.len(),
                error.valid_up_to() + 1
            ),
        ),
        _ => (
            Encoding::Utf8,
            format!("the first {} bytes are valid UTF-8", head.len()),
        ),
    }
}

/// A byte stream decoded to UTF-8 on the fly, a buffer at a time.
pub struct Decoded<R> {
    inner: R,
    encoding: Encoding,
    /// How the encoding was chosen, for messages.
    chosen_by: String,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    start: usize,
    eof: bool,
    finished: bool,
    output: Vec<u8>,
    position: usize,
    /// Bytes of the file decoded so far.
    consumed: u64,
}

impl<R: Read> Decoded<R> {
    /// Reads the start of `inner` and decodes it as `given`, or as detected.
    pub fn new(mut inner: R, given: Option<Encoding>) -> Result<Self, ImportError> {
        let mut input = vec![0; SNIFF_BYTES];
        let mut filled = 0;
        while filled < input.len() {
            match inner.read(&mut input[filled..])? {
                0 => break,
                read => filled += read,
            }
        }
        let eof = filled < input.len();
        input.truncate(filled);
        let (encoding, chosen_by) = match given {
            Some(encoding) => (encoding, "--encoding".to_owned()),
            None => detect(&input),
        };
        Ok(Self {
            inner,
            encoding,
            chosen_by,
            decoder: encoding.codec().new_decoder_with_bom_removal(),
            input,
            start: 0,
            eof,
            finished: false,
            output: Vec::new(),
            position: 0,
            consumed: 0,
        })
    }

    fn refill(&mut self) -> io::Result<()> {
        if self.start < self.input.len() || self.eof {
            return Ok(());
        }
        self.input.resize(SNIFF_BYTES, 0);
        let read = self.inner.read(&mut self.input)?;
        self.input.truncate(read);
        self.start = 0;
        self.eof = read == 0;
        Ok(())
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.position < self.output.len() {
                let count = buf.len().min(self.output.len() - self.position);
                buf[..count].copy_from_slice(&self.output[self.position..self.position + count]);
                self.position += count;
                return Ok(count);
            }
            if self.finished {
                return Ok(0);
            }
            self.refill()?;
            self.output.resize(SNIFF_BYTES * 3 + 16, 0);
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.start..],
                &mut self.output,
                self.eof,
            );
            self.start += read;
            self.consumed += read as u64;
            self.output.truncate(written);
            self.position = 0;
            match result {
                encoding_rs::DecoderResult::InputEmpty => self.finished = self.eof,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(..) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "byte {} is not valid {} (chosen by {}); give the file's encoding \
                             with --encoding: utf-8, utf-16le, utf-16be or windows-1252 (latin-1)",
                            self.consumed,
                            self.encoding.name(),
                            self.chosen_by
                        ),
                    ));
                }
            }
        }
    }
}

/// Removes the spaces a number may be grouped by (also no-break and narrow no-break spaces),
/// checking that they separate groups of three digits.
fn ungrouped(text: &str) -> Result<String, String> {
    let groups: Vec<&str> = text
        .split([' ', '\u{a0}', '\u{202f}'])
        .filter(|group| !group.is_empty())
        .collect();
    let (first, rest) = groups.split_first().ok_or("it is empty")?;
    if rest.iter().any(|group| {
        let digits = group.split(['.', ',']).next().unwrap_or_default();
        digits.len() != 3
    }) || first.contains(['.', ',']) && !rest.is_empty()
    {
        return Err("its spaces do not separate thousands".into());
    }
    Ok(groups.concat())
}

/// Reads a number as Norwegian files write it: a decimal comma or point, spaces between
/// thousands, an optional minus. Nothing else: no exponent, no thousands points, no `NaN`.
pub fn parse_number(text: &str) -> Result<f64, String> {
    let plain = ungrouped(text.trim())?;
    let (sign, digits) = match plain.strip_prefix(['-', '\u{2212}']) {
        Some(rest) => (-1.0, rest),
        None => (1.0, plain.as_str()),
    };
    if digits.contains(',') && digits.contains('.') {
        return Err("it mixes a decimal comma and a decimal point".into());
    }
    let (whole, fraction) = match digits.split_once([',', '.']) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (digits, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(whole) || fraction.is_some_and(|fraction| !all_digits(fraction)) {
        return Err("it is not a number such as 12, 4,25 or 12 345,5".into());
    }
    let normal = match fraction {
        Some(fraction) => format!("{whole}.{fraction}"),
        None => whole.to_owned(),
    };
    normal
        .parse::<f64>()
        .map(|value| sign * value)
        .map_err(|error| error.to_string())
}

/// Reads a count (n): a whole number, not negative, spaces between thousands allowed.
pub fn parse_count(text: &str) -> Result<i64, String> {
    let plain = ungrouped(text.trim())?;
    if !plain.bytes().all(|b| b.is_ascii_digit()) {
        return Err("it is not a whole number of 0 or more".into());
    }
    plain.parse().map_err(|_| "it is too large".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8], given: Option<Encoding>) -> Result<String, String> {
        let mut decoded = Decoded::new(bytes, given).map_err(|error| error.to_string())?;
        let mut text = String::new();
        decoded
            .read_to_string(&mut text)
            .map_err(|error| error.to_string())?;
        Ok(text)
    }

    #[test]
    fn the_encoding_is_detected_from_a_mark_or_the_first_bytes() {
        let text = "skole;verdi\nKåsen;4,5\n";
        let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let marked: Vec<u8> = [0xFF, 0xFE].into_iter().chain(utf16le.clone()).collect();
        let bom_utf8: Vec<u8> = [0xEF, 0xBB, 0xBF].into_iter().chain(text.bytes()).collect();
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode(text);
        for bytes in [
            text.as_bytes(),
            &bom_utf8,
            &utf16le,
            &marked,
            latin1.as_ref(),
        ] {
            assert_eq!(decode(bytes, None).as_deref(), Ok(text));
        }
        assert_eq!(detect(&latin1).0, Encoding::Windows1252);
    }

    #[test]
    fn a_wrong_encoding_is_an_error_that_says_what_was_tried() {
        let (latin1, _, _) = encoding_rs::WINDOWS_1252.encode("Kåsen");
        let error = decode(&latin1, Some(Encoding::Utf8)).unwrap_err();
        assert!(
            error.contains("not valid UTF-8 (chosen by --encoding)"),
            "{error}"
        );
        assert!(error.contains("windows-1252"), "{error}");
        assert!(Encoding::parse("ebcdic").is_err());
        assert_eq!(Encoding::parse("Latin-1").unwrap(), Encoding::Windows1252);
    }

    #[test]
    fn a_long_file_decodes_across_buffer_boundaries() {
        let line = "Ålesund;12 345,5\n";
        let text = line.repeat(SNIFF_BYTES / line.len() * 3);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16, None).unwrap(), text);
        assert_eq!(decode(text.as_bytes(), None).unwrap(), text);
    }

    #[test]
    fn numbers_take_decimal_commas_and_spaces_between_thousands() {
        assert_eq!(parse_number("4,25"), Ok(4.25));
        assert_eq!(parse_number(" 4.25 "), Ok(4.25));
        assert_eq!(parse_number("12 345,5"), Ok(12345.5));
        assert_eq!(parse_number("1\u{a0}234\u{a0}567"), Ok(1_234_567.0));
        assert_eq!(parse_number("-3"), Ok(-3.0));
        for bad in [
            "", "abc", "4,2.5", "1e5", "NaN", "12 34", "4,", ",5", "1.234.5",
        ] {
            assert!(parse_number(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(parse_count("1 024"), Ok(1024));
        for bad in ["-1", "2,5", "x"] {
            assert!(parse_count(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
