//! The README's embedding snippet is `examples/embed.rs` verbatim (which CI compiles and runs),
//! and the commands it promises exist.

#[test]
fn readme_embeds_the_embedding_example_verbatim() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let example = std::fs::read_to_string(format!("{root}/examples/embed.rs")).unwrap();
    assert!(
        readme.contains(&example),
        "README.md's embedding snippet differs from examples/embed.rs: paste the file again"
    );
    for cmd in ["cargo run --release -- run", "cargo test --release"] {
        assert!(readme.contains(cmd), "README.md should give `{cmd}`");
    }
}
