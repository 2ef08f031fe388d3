//! The safety net of `From<sqlx::Error> for ApiError`: input PostgreSQL
//! refuses to store is a 400 `INVALID_INPUT`, never a 500.

use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use roundabout_support::{testing, ApiError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/bookings");

async fn refused(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> ApiError {
    ApiError::from(result.expect_err("the database refuses it"))
}

#[tokio::test]
async fn text_the_database_cannot_store_is_invalid_input() {
    let (pool, _) = testing::fresh_database(&MIGRATOR).await;
    sqlx::query("create table notes (short varchar(3), body text, doc jsonb, at timestamptz)")
        .execute(&pool)
        .await
        .unwrap();
    let cases = [
        refused(
            sqlx::query("insert into notes (body) values ($1)")
                .bind("a\0b")
                .execute(&pool)
                .await,
        )
        .await,
        refused(
            sqlx::query("insert into notes (short) values ($1)")
                .bind("abcd")
                .execute(&pool)
                .await,
        )
        .await,
        refused(
            sqlx::query("insert into notes (doc) values ($1::text::jsonb)")
                .bind(r#"{"a": "\u0000"}"#)
                .execute(&pool)
                .await,
        )
        .await,
        refused(
            sqlx::query("insert into notes (at) values ($1)")
                .bind(Utc.with_ymd_and_hms(-200_000, 1, 1, 0, 0, 0).unwrap())
                .execute(&pool)
                .await,
        )
        .await,
    ];
    for e in cases {
        assert_eq!(e.status, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e.code(), "INVALID_INPUT", "{e}");
    }
    let written: i64 = sqlx::query_scalar("select count(*) from notes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(written, 0);
    // Anything else the database says is still an opaque 500.
    let other = ApiError::from(
        sqlx::query("select * from no_such_table")
            .execute(&pool)
            .await
            .unwrap_err(),
    );
    assert_eq!(other.status, StatusCode::INTERNAL_SERVER_ERROR);
}
