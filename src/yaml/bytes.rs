//! Byte offsets of the parser's character positions.

use saphyr_parser::Span;
use std::cell::Cell;

/// Characters between two entries of [`ByteMap`]'s table.
const STEP: usize = 64;

/// Converts saphyr's character positions to byte offsets. Positions come
/// nearly in order, so each conversion steps on from the previous one; a
/// table of every 64th character's offset serves the jumps back. (A table
/// of every character's offset took four bytes a character: 54 MB for a
/// 13 MB inventory with one non-ASCII character in it.)
pub(super) struct ByteMap<'a> {
    text: &'a str,
    /// Byte offset of every `STEP`th character, when the text is not ASCII.
    table: Option<Vec<u32>>,
    /// The last conversion: (character, byte).
    last: Cell<(usize, usize)>,
}

impl<'a> ByteMap<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let table = (!text.is_ascii()).then(|| {
            text.char_indices()
                .step_by(STEP)
                .map(|(i, _)| i as u32)
                .collect()
        });
        ByteMap {
            text,
            table,
            last: Cell::new((0, 0)),
        }
    }

    /// The byte offset of character `char_index`; the text's length past
    /// its end.
    pub(super) fn byte(&self, char_index: usize) -> usize {
        let Some(table) = &self.table else {
            return char_index.min(self.text.len());
        };
        let (mut c, mut b) = self.last.get();
        if char_index < c || char_index - c > STEP {
            let k = (char_index / STEP).min(table.len().saturating_sub(1));
            c = k * STEP;
            b = table.get(k).map_or(0, |&b| b as usize);
        }
        let bytes = self.text.as_bytes();
        while c < char_index && b < bytes.len() {
            b += utf8_width(bytes[b]);
            c += 1;
        }
        let b = b.min(bytes.len());
        self.last.set((c, b));
        b
    }

    pub(super) fn span(&self, s: &Span) -> (usize, usize) {
        let start = self.byte(s.start.index());
        let end = self.byte(s.end.index()).max(start);
        (start, end)
    }
}

/// The length of the UTF-8 character that starts with `lead`.
fn utf8_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::ByteMap;

    #[test]
    fn every_character_in_any_order() {
        let text: String = (0..500)
            .map(|i| ["a", "ß", "€", "𝄞", "\n"][i % 5])
            .collect();
        let expected: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len(), text.len()])
            .collect();
        let map = ByteMap::new(&text);
        for (c, &b) in expected.iter().enumerate() {
            assert_eq!(map.byte(c), b, "character {c}");
        }
        for c in (0..expected.len()).rev().step_by(7) {
            assert_eq!(map.byte(c), expected[c], "character {c}, going back");
        }
        for c in [3, 400, 2, 250, 251, 90, 1000] {
            assert_eq!(map.byte(c), expected[c.min(expected.len() - 1)]);
        }
        let ascii = ByteMap::new("abc");
        assert_eq!((ascii.byte(2), ascii.byte(9)), (2, 3));
    }
}
