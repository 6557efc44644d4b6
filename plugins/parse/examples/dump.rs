//! Print what the parse stage makes of files: `cargo run --release -p parse --example dump -- [--spans] a.pdf b.xml`.
fn main() {
    // `--spans` also prints each line's spans with their positions.
    let spans = std::env::args().any(|a| a == "--spans");
    for path in std::env::args().skip(1).filter(|a| a != "--spans") {
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{path}: {e}");
                continue;
            }
        };
        let t = std::time::Instant::now();
        let r = parse::parse_bytes(&bytes, &path);
        let took = t.elapsed();
        match r {
            Err(e) => println!("{path}: error {e:?} ({took:?})"),
            Ok(d) => {
                println!(
                    "{path}: {:?}, {} pages, {} revisions, edit-count {}, linearized {}, e-invoice {:?}, {:?}",
                    d.format,
                    d.pages.len(),
                    d.revisions.len(),
                    d.edit_count,
                    d.linearized,
                    d.e_invoice
                        .as_ref()
                        .map(|e| (&e.syntax, &e.source_name, &e.profile)),
                    took
                );
                println!(
                    "  producer {:?} / first {:?}",
                    d.metadata.producer, d.metadata.first_producer
                );
                for r in &d.revisions {
                    println!("  rev {r:?}");
                }
                for f in &d.fonts {
                    println!(
                        "  font {} {} embedded={} pages={:?}",
                        f.base_font, f.subtype, f.embedded, f.pages
                    );
                }
                for p in &d.pages {
                    for l in &p.lines {
                        println!("  p{} l{:>2} y={:>6.1} | {}", l.page, l.line, l.y, l.text);
                        if spans {
                            for s in &l.spans {
                                println!(
                                    "           x={:>6.1} w={:>6.1} {} {:.1} | {}",
                                    s.x, s.width, s.font, s.size, s.text
                                );
                            }
                        }
                    }
                }
                for w in &d.warnings {
                    println!("  warning: {w}");
                }
            }
        }
    }
}
