use super::Store;
use super::db::{from_ms, is_unique_violation, query, to_ms, uuid};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use parkway_core::api::{Role, User};
use uuid::Uuid;

/// A user with their password hash, for sign-in only.
#[derive(Debug)]
pub struct Credentials {
    /// The public part.
    pub user: User,
    /// The PHC-format hash.
    pub password_hash: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    password_hash: String,
    roles: String,
    created_at: i64,
}

const SELECT: &str = "SELECT id, email, name, password_hash, roles, created_at FROM users";

fn roles_to_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

fn roles_from_text(text: &str) -> Vec<Role> {
    text.split(',')
        .filter_map(|r| match r {
            "driver" => Some(Role::Driver),
            "owner" => Some(Role::Owner),
            _ => None,
        })
        .collect()
}

impl UserRow {
    fn into_credentials(self) -> Result<Credentials, sqlx::Error> {
        Ok(Credentials {
            user: User {
                id: uuid(&self.id)?,
                email: self.email,
                name: self.name,
                roles: roles_from_text(&self.roles),
                created_at: from_ms(self.created_at),
            },
            password_hash: self.password_hash,
        })
    }
}

impl Store {
    /// Creates an account; `409 email_taken` when the email is registered.
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        password_hash: &str,
        roles: &[Role],
        now: DateTime<Utc>,
    ) -> AppResult<User> {
        let user = User {
            id: Uuid::new_v4(),
            email: email.to_owned(),
            name: name.to_owned(),
            roles: roles.to_vec(),
            created_at: now,
        };
        let mut tx = self.begin_write().await?;
        let inserted = tx
            .execute(
                query(
                    "INSERT INTO users (id, email, name, password_hash, roles, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                )
                .bind(user.id)
                .bind(email)
                .bind(name)
                .bind(password_hash)
                .bind(roles_to_text(roles))
                .bind(to_ms(now)),
            )
            .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(AppError::Api(ErrorCode::EmailTaken, "an account with this email already exists".into()));
            }
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(user)
    }

    /// The account with this (normalised) email, with its hash.
    pub async fn credentials_by_email(&self, email: &str) -> AppResult<Option<Credentials>> {
        let row: Option<UserRow> =
            self.reader().fetch_optional(query(format!("{SELECT} WHERE email = ?")).bind(email)).await?;
        Ok(row.map(UserRow::into_credentials).transpose()?)
    }

    /// The account with this id.
    pub async fn user(&self, id: Uuid) -> AppResult<Option<User>> {
        let row: Option<UserRow> =
            self.reader().fetch_optional(query(format!("{SELECT} WHERE id = ?")).bind(id)).await?;
        Ok(row.map(|r| r.into_credentials().map(|c| c.user)).transpose()?)
    }
}
