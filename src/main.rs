use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    varde::cli::run(varde::cli::Cli::parse()).await
}
