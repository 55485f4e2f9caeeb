//! The counting, as counters.c does it: an open-addressing hash table keyed by id,
//! Fibonacci hashing, linear probing, at most half full, and per id the totals of
//! shows and clicks saturated at 32 (all the histograms look at).

/// Totals 0..31 each get a bucket; the last one holds 32 or more.
pub const FREQ_BUCKETS: usize = 33;
const FREQ_CAP: u8 = (FREQ_BUCKETS - 1) as u8;

#[derive(Clone, Copy, Default)]
struct Slot {
    id: u64,
    used: bool,
    shows: u8,
    clicks: u8,
}

pub struct IdTable {
    slots: Vec<Slot>,
    count: usize, // distinct ids stored
    shift: u32,   // 64 - log2(capacity)
}

impl IdTable {
    pub fn new() -> Self {
        Self::with_log2_capacity(16)
    }

    fn with_log2_capacity(log2: u32) -> Self {
        IdTable {
            slots: vec![Slot::default(); 1 << log2],
            count: 0,
            shift: 64 - log2,
        }
    }

    /// Fibonacci hashing: multiply by 2**64 / golden ratio, keep the top bits.
    fn index(&self, id: u64) -> usize {
        (id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    fn grow(&mut self) {
        let mut bigger = Self::with_log2_capacity(64 - self.shift + 1);
        let mask = bigger.slots.len() - 1;
        for slot in self.slots.iter().filter(|s| s.used) {
            let mut j = bigger.index(slot.id);
            while bigger.slots[j].used {
                j = (j + 1) & mask;
            }
            bigger.slots[j] = *slot;
        }
        bigger.count = self.count;
        *self = bigger;
    }

    /// The slot of `id`, added if new.
    fn find_or_add(&mut self, id: u64) -> &mut Slot {
        if 2 * (self.count + 1) > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut i = self.index(id);
        loop {
            let slot = self.slots[i];
            if !slot.used || slot.id == id {
                break;
            }
            i = (i + 1) & mask;
        }
        let slot = &mut self.slots[i];
        if !slot.used {
            *slot = Slot {
                id,
                used: true,
                shows: 0,
                clicks: 0,
            };
            self.count += 1;
        }
        slot
    }
}

/// The result of one file: exact 64-bit sums, and the two histograms.
#[derive(Debug, PartialEq)]
pub struct Counts {
    pub shows_all: u64,
    pub clicks_all: u64,
    pub shows_uniq: u64,
    pub clicks_uniq: u64,
    pub shows_freq: [u64; FREQ_BUCKETS],
    pub clicks_freq: [u64; FREQ_BUCKETS],
}

impl Default for Counts {
    fn default() -> Self {
        Counts {
            shows_all: 0,
            clicks_all: 0,
            shows_uniq: 0,
            clicks_uniq: 0,
            shows_freq: [0; FREQ_BUCKETS],
            clicks_freq: [0; FREQ_BUCKETS],
        }
    }
}

/// min(total + value, 32), summed in u32: in u16, 32 + 65535 would overflow (a
/// panic in a debug build, a silent wrap to 31 in a release build).
fn add_saturating(total: u8, value: u16) -> u8 {
    (total as u32 + value as u32).min(FREQ_CAP as u32) as u8
}

/// Records of `key_size + 4` bytes each, packed little-endian: id (u64, or u32
/// when key_size is 4), shows (u16), clicks (u16).
pub struct Counter {
    table: IdTable,
    counts: Counts,
    key_size: usize,
}

impl Counter {
    pub fn new(key_size: usize) -> Self {
        assert!(key_size == 4 || key_size == 8);
        Counter {
            table: IdTable::new(),
            counts: Counts::default(),
            key_size,
        }
    }

    pub fn record_size(&self) -> usize {
        self.key_size + 4
    }

    // [region: records]
    /// Count every whole record in `bytes` (a length that is a multiple of the
    /// record size; the caller keeps a cut record for the next buffer).
    pub fn add_records(&mut self, bytes: &[u8]) {
        let k = self.key_size;
        for record in bytes.chunks_exact(k + 4) {
            let id = match k {
                8 => u64::from_le_bytes(record[..8].try_into().unwrap()),
                _ => u32::from_le_bytes(record[..4].try_into().unwrap()) as u64,
            };
            let shows = u16::from_le_bytes([record[k], record[k + 1]]);
            let clicks = u16::from_le_bytes([record[k + 2], record[k + 3]]);
            self.counts.shows_all += shows as u64;
            self.counts.clicks_all += clicks as u64;
            let slot = self.table.find_or_add(id);
            slot.shows = add_saturating(slot.shows, shows);
            slot.clicks = add_saturating(slot.clicks, clicks);
        }
    }
    // [end: records]

    /// The histograms from the table, and the result.
    pub fn finish(mut self) -> Counts {
        let c = &mut self.counts;
        for slot in self.table.slots.iter().filter(|s| s.used) {
            c.shows_freq[slot.shows as usize] += 1;
            c.clicks_freq[slot.clicks as usize] += 1;
        }
        c.shows_uniq = self.table.count as u64 - c.shows_freq[0];
        c.clicks_uniq = self.table.count as u64 - c.clicks_freq[0];
        self.counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: u64, shows: u16, clicks: u16) -> Vec<u8> {
        [
            &id.to_le_bytes()[..],
            &shows.to_le_bytes(),
            &clicks.to_le_bytes(),
        ]
        .concat()
    }

    #[test]
    fn totals_saturate_at_32_and_sums_stay_exact() {
        let mut counter = Counter::new(8);
        let bytes: Vec<u8> = [
            record(7, 30, 2),
            record(7, 3, 31),
            record(u64::MAX, 65535, 0),
            record(u64::MAX, 65535, 1),
            record(0, 0, 0),
        ]
        .concat();
        counter.add_records(&bytes);
        let c = counter.finish();
        assert_eq!(
            (c.shows_all, c.clicks_all),
            (30 + 3 + 2 * 65535, 2 + 31 + 1)
        );
        assert_eq!((c.shows_uniq, c.clicks_uniq), (2, 2));
        assert_eq!((c.shows_freq[0], c.shows_freq[32]), (1, 2));
        assert_eq!(
            (c.clicks_freq[0], c.clicks_freq[1], c.clicks_freq[32]),
            (1, 1, 1)
        );
        assert_eq!(c.shows_freq.iter().sum::<u64>(), 3);
    }

    #[test]
    fn the_table_grows_and_keeps_every_id() {
        let mut counter = Counter::new(4);
        let bytes: Vec<u8> = (0..200_000u32)
            .flat_map(|i| {
                [
                    &(i % 150_000).to_le_bytes()[..],
                    &1u16.to_le_bytes(),
                    &0u16.to_le_bytes(),
                ]
                .concat()
            })
            .collect();
        counter.add_records(&bytes);
        let c = counter.finish();
        assert_eq!(c.shows_freq.iter().sum::<u64>(), 150_000);
        assert_eq!((c.shows_freq[1], c.shows_freq[2]), (100_000, 50_000));
        assert_eq!(c.clicks_freq[0], 150_000);
    }
}
