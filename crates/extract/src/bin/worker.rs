//! The extraction worker process (see `trove_extract::worker`). `trove worker` is the same.

fn main() {
    std::process::exit(trove_extract::worker::main());
}
