//! The generator of `rules/characters/variants.tsv`, the 異体字 (variant
//! kanji) table behind `kiban_core::name::match_key`, and the test that the
//! committed file is what it generates.
//!
//! The table is derived from the MJ縮退マップ (文字情報基盤) as the crate
//! `jntajis` embeds it, so nothing is downloaded. To regenerate it after
//! changing this file or updating `jntajis`:
//!
//! ```text
//! KIBAN_UPDATE_VARIANTS=1 cargo test -p kiban-core --test variants
//! ```

#![expect(
    clippy::unwrap_used,
    reason = "the generator writes to a String and stops on a broken data set"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;

use jntajis::codec::mj_shrink::{MJShrinkScheme, MJShrinkSchemes, mj_shrink_candidates};
use jntajis::{ConversionMode, jnta_encode};

/// The version of `jntajis` whose data the table comes from; the header
/// names it, so keep it in step with `Cargo.lock`.
const JNTAJIS_VERSION: &str = "0.2.2";

/// The ranges of code points looked up: the CJK unified ideographs with
/// their extensions A to I, and the compatibility ideographs.
const RANGES: &[(u32, u32)] = &[
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x2_0000, 0x3_23AF),
];

/// Characters whose shrink candidates are ignored: under each is filed an MJ
/// glyph that shrinks to a different, common character, and the union
/// would make the two one name. They stay distinct characters; their own
/// variants may still fold to them. Each entry is the character and what
/// its stray glyph shrinks to.
const KEPT_APART: &[(char, &str)] = &[
    ('玉', "王"),
    ('功', "切"),
    ('切', "功"),
    ('書', "昼, 晝"),
    ('耒', "来"),
    ('槁', "橋"),
    ('藁', "稿"),
    ('隹', "佳"),
    ('師', "帥"),
    ('舛', "升"),
    ('屓', "負"),
    ('逑', "述"),
    ('誥', "詰"),
    ('擱', "閣"),
    ('碚', "培"),
    ('敞', "敝"),
    ('羝', "牴"),
    ('唔', "吾"),
    ('慟', "恫"),
    ('兀', "尢, and so 尤"),
];

/// The schemes of the MJ縮退マップ used: all but 読み・字形による類推, which is
/// guesswork.
fn schemes() -> MJShrinkSchemes {
    MJShrinkSchemes::builder()
        .with(MJShrinkScheme::JISIncorporationUCSUnificationRule)
        .with(MJShrinkScheme::MOJNotice582)
        .with(MJShrinkScheme::MOJFamilyRegisterActRelatedNotice)
}

/// The single characters among the MJ shrink candidates of `c` under
/// `schemes`, other than `c` itself.
fn shrink(c: char, schemes: MJShrinkSchemes) -> BTreeSet<char> {
    mj_shrink_candidates(c.to_string(), schemes)
        .filter_map(|candidate| {
            let mut chars = candidate.chars();
            match (chars.next(), chars.next()) {
                (Some(single), None) if single != c => Some(single),
                _ => None,
            }
        })
        .collect()
}

/// For each character that has any: the other code points of its MJ
/// characters (a compatibility ideograph and its unified form), and the
/// variants it shrinks to under [`schemes`].
struct Candidates {
    same: BTreeMap<char, BTreeSet<char>>,
    variants: BTreeMap<char, BTreeSet<char>>,
}

fn candidates() -> Candidates {
    let mut same = BTreeMap::new();
    let mut variants = BTreeMap::new();
    for &(first, last) in RANGES {
        for c in (first..=last).filter_map(char::from_u32) {
            if KEPT_APART.iter().any(|&(kept, _)| kept == c) {
                continue;
            }
            let code_points = shrink(c, MJShrinkSchemes::NONE);
            let targets: BTreeSet<char> = shrink(c, schemes())
                .difference(&code_points)
                .copied()
                .collect();
            if !code_points.is_empty() {
                same.insert(c, code_points);
            }
            if !targets.is_empty() {
                variants.insert(c, targets);
            }
        }
    }
    Candidates { same, variants }
}

/// Union-find over characters.
#[derive(Default)]
struct Classes {
    parent: BTreeMap<char, char>,
}

impl Classes {
    /// The representative of the class of `c`, making `c` a class of its
    /// own if it is not in one yet.
    fn root(&mut self, c: char) -> char {
        self.parent.entry(c).or_insert(c);
        self.find(c)
    }

    fn find(&mut self, c: char) -> char {
        let mut root = c;
        while let Some(&up) = self.parent.get(&root) {
            if up == root {
                break;
            }
            root = up;
        }
        let mut node = c;
        while node != root {
            let up = self.parent.get(&node).copied().unwrap_or(root);
            self.parent.insert(node, root);
            node = up;
        }
        root
    }

    fn union(&mut self, a: char, b: char) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent.insert(ra.max(rb), ra.min(rb));
        }
    }

    fn members(&mut self) -> Vec<Vec<char>> {
        let chars: Vec<char> = self.parent.keys().copied().collect();
        let mut classes: BTreeMap<char, Vec<char>> = BTreeMap::new();
        for c in chars {
            let root = self.find(c);
            classes.entry(root).or_default().push(c);
        }
        classes.into_values().collect()
    }
}

/// The JIS X 0208 row and cell of a character, if it has one.
fn jis_x_0208(c: char) -> Option<(u8, u8)> {
    match jnta_encode(&c.to_string(), ConversionMode::Jisx0208).ok()?[..] {
        [row, cell] => Some((row - 0x20, cell - 0x20)),
        _ => None,
    }
}

/// The classes above this size are printed when the table is generated, for
/// a person to look at (today one: 殺 and 30 of its variants, all sound).
const LARGE_CLASS: usize = 20;

/// A class this large means a scheme has started to join unrelated
/// characters (法務省告示582号別表第四 without the rule for characters with
/// several targets makes classes of over a hundred), so the test fails.
const ABSURD_CLASS: usize = 40;

/// What the generator found, for the header and for the test's report.
struct Table {
    text: String,
    ambiguous_left_out: usize,
    large_classes: Vec<String>,
    largest: usize,
}

fn generate() -> Table {
    let candidates = candidates();
    let mut classes = Classes::default();
    for (&source, code_points) in &candidates.same {
        for &code_point in code_points {
            classes.union(source, code_point);
        }
    }
    // A character joins the class of its variants. One with variants in
    // several classes would join characters that are not variants of each
    // other (㓛 shrinks to both 切 and 功), so it waits until they are one
    // class, which other characters may make them; the classes that result
    // do not depend on the order.
    let mut ambiguous: BTreeMap<char, &BTreeSet<char>> = candidates
        .variants
        .iter()
        .map(|(&source, targets)| (source, targets))
        .collect();
    loop {
        let mut joined = Vec::new();
        for (&source, targets) in &ambiguous {
            let own = classes.root(source);
            let roots: BTreeSet<char> = targets
                .iter()
                .map(|&target| classes.root(target))
                .filter(|&root| root != own)
                .collect();
            match roots.into_iter().collect::<Vec<_>>()[..] {
                [] => joined.push(source),
                [root] => {
                    classes.union(source, root);
                    joined.push(source);
                }
                _ => {}
            }
        }
        if joined.is_empty() {
            break;
        }
        for source in joined {
            ambiguous.remove(&source);
        }
    }

    let mut lines = Vec::new();
    let mut large_classes = Vec::new();
    let mut largest = 0;
    for members in classes.members() {
        largest = largest.max(members.len());
        if members.len() > LARGE_CLASS {
            large_classes.push(members.iter().collect());
        }
        let representative = members
            .iter()
            .copied()
            .min_by_key(|&c| match jis_x_0208(c) {
                Some(row_cell) => (0, row_cell, c),
                None => (1, (0, 0), c),
            })
            .unwrap();
        for &member in &members {
            if member != representative {
                lines.push((member, representative));
            }
        }
    }
    lines.sort();

    let class_count = classes.members().iter().filter(|m| m.len() > 1).count();
    let kept_apart: String = KEPT_APART.iter().map(|&(c, _)| c).collect();
    let mut text = String::new();
    writeln!(
        text,
        "# 異体字 (variant kanji) for matching names: source<TAB>target, one line for each character\n\
         # that folds to another; kiban_core::name::match_key maps through it.\n\
         # Source: MJ縮退マップ (文字情報基盤), 文字情報技術促進協議会 (CITPC) and 情報処理推進機構 (IPA),\n\
         # CC BY-SA 2.1 JP (see LICENSE.md), as embedded in the crate jntajis {JNTAJIS_VERSION}.\n\
         # Generated by crates/kiban-core/tests/variants.rs; do not edit by hand.\n\
         # Schemes: JIS包摂規準・UCS統合規則, 法務省告示582号別表第四 and 法務省戸籍法関連通達・通知, with the\n\
         # code points of one MJ character; not 読み・字形による類推 (guesswork).\n\
         # Classes: the union of the pairs, except that a character with several targets joins them\n\
         # only once they are one class (㓛 shrinks to both 切 and 功; {} such characters stay as\n\
         # they are), and that the candidates of {kept_apart} are ignored (an MJ\n\
         # glyph filed under each shrinks to another common character: 玉→王, 功→切, 書→昼).\n\
         # Each class maps to its JIS X 0208 member with the smallest row and cell, else to its\n\
         # smallest code point. {} lines in {class_count} classes; the largest has {} members.",
        ambiguous.len(),
        lines.len(),
        largest,
    )
    .unwrap();
    for (source, target) in lines {
        writeln!(text, "{source}\t{target}").unwrap();
    }
    Table {
        text,
        ambiguous_left_out: ambiguous.len(),
        large_classes,
        largest,
    }
}

fn table_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/characters/variants.tsv")
}

#[test]
fn committed_variants_table_is_generated() {
    let table = generate();
    for class in &table.large_classes {
        eprintln!("class of {} members: {class}", class.chars().count());
    }
    eprintln!(
        "{} characters with several unrelated targets left out",
        table.ambiguous_left_out
    );
    assert!(
        table.largest <= ABSURD_CLASS,
        "a class of {} characters",
        table.largest
    );
    let path = table_path();
    if std::env::var_os("KIBAN_UPDATE_VARIANTS").is_some() {
        std::fs::write(&path, &table.text).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == table.text,
        "{} is not what the generator makes; run KIBAN_UPDATE_VARIANTS=1 cargo test -p kiban-core --test variants",
        path.display()
    );
}
