//! The AWS CLI shorthand parser (`send-event --attributes`), as the CLI
//! calls it: refused when nested deeper than the CLI reads, then parsed,
//! with `key@=file://` values resolved (read, missing, or kept as written).

use ivschat_playbook::app::commands::send_event::input::{MAX_NESTING, nesting_depth};
use ivschat_playbook::app::commands::send_event::shorthand;

use super::Fuzz;

const SEEDS: &[&str] = &[
    "msgType=user-notification,msgText=This chat room will close in 15 minutes.",
    "msgType=user-notification,msgText=Hello",
    "msgText=a = b and more",
    "msgText=Hello\\, world",
    "msgText=Hello, world",
    "msgText='Hello, world'",
    "msgText=\"Hello, \\\"world\\\"\"",
    "msgText='it\\'s \\\\ here'",
    "q=a=b=c,r=x==y",
    "a@=file://x,b=file://y,c@=plain,d@='file://q'",
    "a@=file://missing",
    "a=[b,c],d={e=f,g=[h,i]}",
    "a={b={c={d=e}}}",
    "a=[]",
    "a={}",
    " a = b , c = d ",
    "key.with-dots_and#hash/slash:colon=v",
    "😀=1,ü=ß",
    "a=b,a=c",
    "justakey",
    "{\"msgText\": \"Hello, world\"}",
    "[1, 2]",
    "a=\\",
    "a=b\n,c=d",
    "",
];

#[test]
fn parsing_any_shorthand_never_panics() {
    let resolve = |v: &str| -> Result<Option<String>, String> {
        match v.strip_prefix("file://") {
            Some("missing") => Err("Unable to load paramfile file://missing".into()),
            Some(p) => Ok(Some(format!("<{p}>"))),
            None => Ok(None),
        }
    };
    Fuzz::new("shorthand")
        .seeds(SEEDS.iter().map(|s| s.as_bytes().to_vec()))
        .tokens(&[
            "=",
            "@=",
            ",",
            "\\,",
            "\\",
            "'",
            "\"",
            "\\'",
            "\\\"",
            "\\\\",
            "[",
            "]",
            "{",
            "}",
            "[]",
            "{}",
            "a=",
            "k=[",
            "k={",
            "file://",
            "file://missing",
            "fileb://",
            "`",
            "\u{1c}",
            "\u{a0}",
            "\u{2028}",
            "\u{feff}",
            "\u{10ffff}",
        ])
        .max_len(16 * 1024)
        .run(|input| {
            let text = String::from_utf8_lossy(input);
            let _ = shorthand::looks_like_json(&text);
            if nesting_depth(&text) > MAX_NESTING {
                return; // the CLI refuses it before parsing
            }
            let _ = shorthand::parse(&text, &resolve);
            let _ = shorthand::parse_plain(&text);
        });
}
