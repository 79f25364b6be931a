//! Test support: every test gets its own freshly migrated database.
//!
//! The server is found in one order: `DATABASE_URL`, a PostgreSQL already running on this
//! machine, the private cluster started from the local installation, then (feature
//! `testcontainers`) a Docker container; otherwise the test fails with one clear message.

pub mod spec;

use std::sync::OnceLock;

use deskbridge_store::pg;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;
use uuid::Uuid;

static SERVER: OnceCell<String> = OnceCell::const_new();

#[cfg(feature = "testcontainers")]
static CONTAINER: OnceLock<
    testcontainers_modules::testcontainers::ContainerAsync<
        testcontainers_modules::postgres::Postgres,
    >,
> = OnceLock::new();

#[cfg(not(feature = "testcontainers"))]
static CONTAINER: OnceLock<()> = OnceLock::new();

async fn find_server() -> String {
    let env = std::env::var("DATABASE_URL").ok();
    match pg::find_server(env.as_deref()).await {
        Ok((url, _)) => url,
        Err(local_err) => match container().await {
            Some(url) => url,
            None => panic!(
                "tests need PostgreSQL: {local_err}. {} (tests also try Docker via testcontainers)",
                pg::NO_POSTGRES
            ),
        },
    }
}

#[cfg(feature = "testcontainers")]
async fn container() -> Option<String> {
    use testcontainers_modules::testcontainers::runners::AsyncRunner;
    let node = testcontainers_modules::postgres::Postgres::default()
        .start()
        .await
        .ok()?;
    let port = node.get_host_port_ipv4(5432).await.ok()?;
    let _ = CONTAINER.set(node);
    Some(format!(
        "postgres://postgres:postgres@127.0.0.1:{port}/postgres"
    ))
}

#[cfg(not(feature = "testcontainers"))]
async fn container() -> Option<String> {
    let _ = CONTAINER.get();
    None
}

/// The server-level URL every test database is created on.
pub async fn server_url() -> String {
    SERVER.get_or_init(find_server).await.clone()
}

/// A database of one test, dropped when the value is dropped.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// A pool on it (migrations applied).
    pub pool: PgPool,
    name: String,
    server: String,
}

impl TestDb {
    /// Creates and migrates a fresh database.
    pub async fn new() -> TestDb {
        let server = server_url().await;
        let name = format!("deskbridge_test_{}", Uuid::new_v4().simple());
        let mut conn = PgConnection::connect(&server)
            .await
            .expect("connect to the test server");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
            .expect("create the test database");
        let url = pg::with_database(&server, &name);
        let pool = deskbridge_store::connect(&url, 10)
            .await
            .expect("connect to the test database");
        deskbridge_store::migrate(&pool)
            .await
            .expect("migrate the test database");
        TestDb {
            url,
            pool,
            name,
            server,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let server = self.server.clone();
        let name = self.name.clone();
        // Drop the database from a separate thread: Drop cannot await. `WITH (FORCE)` ends the
        // pool's connections (closing the pool here would wait on the test's own runtime).
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = PgConnection::connect(&server).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut conn)
                    .await;
                }
            });
        })
        .join();
    }
}
