//! TLS to PostgreSQL, against a throwaway PostgreSQL cluster whose certificate for `localhost`
//! a throwaway CA signed.

use std::path::{Path, PathBuf};
use std::process::Command;

use gatehouse::config::{Secret, Settings};
use gatehouse::db::Db;
use gatehouse::startup::Application;

use crate::helpers::{send, test_settings};

/// A PostgreSQL cluster of its own, stopped and removed on drop.
struct TlsCluster {
    folder: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn must(command: &mut Command) {
    let output = command.output().expect("the command runs");
    assert!(output.status.success(), "{command:?}: {output:?}");
}

impl TlsCluster {
    /// Starts the cluster, or says why it cannot (not root, no PostgreSQL server binaries).
    fn start() -> Result<Self, String> {
        if !rustix::process::geteuid().is_root() {
            return Err("the test must run as root to start a cluster as user postgres".into());
        }
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|error| format!("no PostgreSQL server binaries: {error}"))?
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .find(|bin| bin.join("initdb").exists())
            .ok_or("no initdb under /usr/lib/postgresql")?;
        let postgres = uid_and_gid("postgres").ok_or("no user postgres")?;
        let folder = std::env::temp_dir().join(format!("gatehouse-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir(&folder).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Self { folder, bin, port };
        // A throwaway CA and a certificate it signs for `localhost` (rustls refuses a CA
        // certificate presented as the server's own).
        let (ca, ca_key) = (cluster.file("ca.crt"), cluster.file("ca.key"));
        let (cert, key) = (cluster.file("server.crt"), cluster.file("server.key"));
        let (request, extensions) = (cluster.file("server.csr"), cluster.file("server.ext"));
        must(Command::new("openssl").args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=gatehouse test CA",
            "-keyout",
            &ca_key,
            "-out",
            &ca,
        ]));
        must(Command::new("openssl").args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            &key,
            "-out",
            &request,
        ]));
        std::fs::write(
            &extensions,
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        must(Command::new("openssl").args([
            "x509",
            "-req",
            "-in",
            &request,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &extensions,
            "-out",
            &cert,
        ]));
        for path in [&cluster.folder.display().to_string(), &cert, &key] {
            std::os::unix::fs::chown(path, Some(postgres.0), Some(postgres.1)).unwrap();
        }
        must(Command::new("chmod").args(["600", &key]));
        let data = cluster.file("data");
        must(
            cluster
                .as_postgres("initdb")
                .args(["-D", &data, "-A", "trust", "-U", "postgres"]),
        );
        let options = format!(
            "-p {port} -k {} -c listen_addresses=localhost -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}",
            cluster.folder.display()
        );
        // The server's output goes to a file: a pipe would be held open by the server.
        let log = cluster.file("server.log");
        must(
            cluster
                .as_postgres("pg_ctl")
                .args(["-D", &data, "-l", &log, "-o", &options, "-w", "start"]),
        );
        Ok(cluster)
    }

    fn file(&self, name: &str) -> String {
        self.folder.join(name).display().to_string()
    }

    fn as_postgres(&self, program: &str) -> Command {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program));
        command
    }

    fn uri(&self, host: &str, query: &str) -> String {
        format!(
            "postgresql://postgres@{host}:{}/postgres?{query}",
            self.port
        )
    }
}

impl Drop for TlsCluster {
    fn drop(&mut self) {
        let _ = self
            .as_postgres("pg_ctl")
            .args(["-D", &self.file("data"), "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

fn uid_and_gid(user: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string(Path::new("/etc/passwd")).ok()?;
    let fields: Vec<&str> = passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&user))?;
    Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
}

fn settings_for(uri: String) -> Settings {
    let mut settings = test_settings();
    settings.postgresql_connection_uri = Some(Secret::new(uri));
    settings
}

/// Whether the pool's connection is encrypted, as the server sees it.
async fn encrypted(db: &Db) -> bool {
    let Db::Postgres(pool) = db else {
        unreachable!()
    };
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[actix_web::test]
async fn sslmode_require_and_verify_full_against_a_private_ca() {
    let cluster = match TlsCluster::start() {
        Ok(cluster) => cluster,
        Err(why) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPED sslmode_require_and_verify_full_against_a_private_ca: {why}");
            return;
        }
        Err(why) => panic!("cannot start a TLS PostgreSQL cluster in CI: {why}"),
    };
    let ca = cluster.file("ca.crt");

    // require: encrypted, certificate not checked.
    let db = Db::connect(&settings_for(cluster.uri("127.0.0.1", "sslmode=require")))
        .await
        .unwrap();
    assert!(encrypted(&db).await);
    db.close().await;
    // disable: plain.
    let db = Db::connect(&settings_for(cluster.uri("127.0.0.1", "sslmode=disable")))
        .await
        .unwrap();
    assert!(!encrypted(&db).await);
    db.close().await;

    // verify-full with the right CA and host name: the server starts and answers.
    let verified = format!("sslmode=verify-full&sslrootcert={ca}");
    let app = Application::build(settings_for(cluster.uri("localhost", &verified)))
        .await
        .unwrap();
    let hello = format!("http://127.0.0.1:{}/hello", app.port());
    app.spawn();
    assert_eq!(
        send(awc::Client::default().get(&hello), None).await.status,
        200
    );

    // The same settings as separate keys.
    let mut settings = settings_for(cluster.uri("localhost", ""));
    settings.postgresql_sslmode = Some("verify-full".into());
    settings.postgresql_sslrootcert = Some(ca.clone());
    let db = Db::connect(&settings).await.unwrap();
    assert!(encrypted(&db).await);
    db.close().await;

    // verify-full for a host the certificate does not name: refused, and said so.
    let error = Db::connect(&settings_for(cluster.uri("127.0.0.1", &verified)))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with(&format!(
            "could not connect to PostgreSQL at 127.0.0.1:{}",
            cluster.port
        )) && error.contains("certificate not valid for name \"127.0.0.1\""),
        "{error}"
    );
    // verify-full without the CA: the self-signed certificate is not trusted.
    let error = Db::connect(&settings_for(
        cluster.uri("localhost", "sslmode=verify-full"),
    ))
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("UnknownIssuer"), "{error}");
}
