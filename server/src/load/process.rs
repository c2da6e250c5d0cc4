//! `server serve` as a child process on a fixed port, with the API's rate limit raised out of the
//! way: started, waited for, measured (peak memory) and killed with SIGKILL.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::LoadError;

/// How long a start may take: migrations and PostgreSQL's connections included.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Far above what any run sends: the per-key limit would otherwise be what is measured.
const RATE_LIMIT_PER_MINUTE: &str = "4000000000";

/// How to start the server again after it was killed: same binary, database and port.
#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub binary: PathBuf,
    pub database_url: String,
    pub port: u16,
}

/// A running `server serve`; killed when dropped.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
}

impl ServerSpec {
    /// On a port free now.
    pub fn new(binary: &Path, database_url: &str) -> Result<Self, LoadError> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        Ok(Self {
            binary: binary.to_owned(),
            database_url: database_url.to_owned(),
            port,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the server and waits until it answers.
    pub async fn start(&self, http: &reqwest::Client) -> Result<ServerProcess, LoadError> {
        let child = Command::new(&self.binary)
            .args(["serve", "--addr", &format!("127.0.0.1:{}", self.port)])
            .env("DATABASE_URL", &self.database_url)
            .env("API_RATE_LIMIT_PER_MINUTE", RATE_LIMIT_PER_MINUTE)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()?;
        let mut server = ServerProcess { child };
        let started = Instant::now();
        let url = format!("{}/v1/openapi.json", self.base_url());
        loop {
            if let Some(status) = server.child.try_wait()? {
                return Err(LoadError::ServerExited(status));
            }
            if http.get(&url).send().await.is_ok() {
                return Ok(server);
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(LoadError::NotServing(START_TIMEOUT));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl ServerProcess {
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The most resident memory the process has used (`VmHWM`), in kB.
    pub fn peak_memory_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.id())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }

    /// SIGKILL: no shutdown, no flush, whatever it was doing.
    pub fn kill(mut self) -> Result<(), LoadError> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
