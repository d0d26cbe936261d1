//! The postgres backend against a real PostgreSQL (`support::pg`): a throwaway server
//! per test process, a schema per test.

use crate::support::pg;

#[test]
fn the_test_server_takes_the_password_and_a_schema_per_test() {
    let server = pg::server();
    let (a, b) = (pg::schema(), pg::schema());
    assert_ne!(a, b);
    server.sql(&format!("CREATE SCHEMA {a}; CREATE TABLE {a}.t (x int)"));
    assert_eq!(
        server.value(&format!(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = '{a}'"
        )),
        Some("1".into())
    );
    assert_eq!(server.value("SELECT current_user"), Some(pg::USER.into()));
}
