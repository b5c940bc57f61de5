//! Drivers' vehicles: at most [`MAX_VEHICLES`] each, one plate once per driver, one default.
//! Bookings read a vehicle inside their own transaction and keep a copy of it.

use super::Store;
use super::db::{Tx, is_unique_violation, query, to_ms, uuid};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use parkway_core::ErrorCode;
use parkway_core::vehicle::{MAX_VEHICLES, Plate, Vehicle, VehicleSnapshot};
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    plate: String,
    label: Option<String>,
    is_default: bool,
}

impl TryFrom<Row> for Vehicle {
    type Error = AppError;
    fn try_from(r: Row) -> AppResult<Vehicle> {
        Ok(Vehicle {
            id: uuid(&r.id)?,
            plate: Plate::parse(&r.plate).map_err(|e| anyhow::anyhow!("stored plate: {e}"))?,
            label: r.label,
            is_default: r.is_default,
        })
    }
}

const COLUMNS: &str = "id, plate, label, is_default";

/// A vehicle's plate, label and whether it becomes the default, as checked by the handler.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The normalised plate.
    pub plate: Plate,
    /// Its label.
    pub label: Option<String>,
    /// Make it the default.
    pub is_default: bool,
}

fn plate_taken() -> AppError {
    AppError::Api(ErrorCode::ValidationFailed, "you already have a vehicle with this plate".into())
}

impl Store {
    /// The driver's vehicles, the default first, then oldest first.
    pub async fn vehicles(&self, user: Uuid) -> AppResult<Vec<Vehicle>> {
        let rows: Vec<Row> = self
            .reader()
            .fetch_all(
                query(format!(
                    "SELECT {COLUMNS} FROM vehicles WHERE user_id = ? ORDER BY is_default DESC, created_at, id"
                ))
                .bind(user),
            )
            .await?;
        rows.into_iter().map(Vehicle::try_from).collect()
    }

    /// Adds a vehicle. The first one is the default whatever `fields` says.
    pub async fn add_vehicle(&self, user: Uuid, fields: &Fields, now: DateTime<Utc>) -> AppResult<Vehicle> {
        let mut tx = self.begin_write().await?;
        let lock = tx.engine().for_update();
        // Counted with the user's row locked, so two adds at once cannot both be the tenth.
        tx.fetch_optional::<(String,)>(query(format!("SELECT id FROM users WHERE id = ?{lock}")).bind(user)).await?;
        let count: i64 = tx.scalar(query("SELECT COUNT(*) FROM vehicles WHERE user_id = ?").bind(user)).await?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_VEHICLES {
            return Err(AppError::validation(format!("a driver keeps at most {MAX_VEHICLES} vehicles")));
        }
        let is_default = fields.is_default || count == 0;
        if is_default {
            clear_default(&mut tx, user).await?;
        }
        let id = Uuid::new_v4();
        let inserted = tx
            .execute(
                query(
                    "INSERT INTO vehicles (id, user_id, plate, label, is_default, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(id)
                .bind(user)
                .bind(fields.plate.as_str())
                .bind(&fields.label)
                .bind(is_default)
                .bind(to_ms(now))
                .bind(to_ms(now)),
            )
            .await;
        match inserted {
            Err(e) if is_unique_violation(&e) => return Err(plate_taken()),
            other => other?,
        };
        tx.commit().await?;
        Ok(Vehicle { id, plate: fields.plate.clone(), label: fields.label.clone(), is_default })
    }

    /// Changes a vehicle. It stays the default if it was one (another vehicle takes over only
    /// when a different one is made the default).
    pub async fn update_vehicle(
        &self,
        user: Uuid,
        id: Uuid,
        fields: &Fields,
        now: DateTime<Utc>,
    ) -> AppResult<Vehicle> {
        let mut tx = self.begin_write().await?;
        let current = vehicle_in(&mut tx, user, id).await?;
        let is_default = fields.is_default || current.is_default;
        if is_default && !current.is_default {
            clear_default(&mut tx, user).await?;
        }
        let updated = tx
            .execute(
                query("UPDATE vehicles SET plate = ?, label = ?, is_default = ?, updated_at = ? WHERE id = ? AND user_id = ?")
                    .bind(fields.plate.as_str())
                    .bind(&fields.label)
                    .bind(is_default)
                    .bind(to_ms(now))
                    .bind(id)
                    .bind(user),
            )
            .await;
        match updated {
            Err(e) if is_unique_violation(&e) => return Err(plate_taken()),
            other => other?,
        };
        tx.commit().await?;
        Ok(Vehicle { id, plate: fields.plate.clone(), label: fields.label.clone(), is_default })
    }

    /// Removes a vehicle; bookings keep their copy. When it was the default, the oldest
    /// remaining vehicle becomes the default.
    pub async fn delete_vehicle(&self, user: Uuid, id: Uuid) -> AppResult<()> {
        let mut tx = self.begin_write().await?;
        let current = vehicle_in(&mut tx, user, id).await?;
        tx.execute(query("DELETE FROM vehicles WHERE id = ? AND user_id = ?").bind(id).bind(user)).await?;
        if current.is_default {
            tx.execute(
                query(
                    "UPDATE vehicles SET is_default = ? WHERE id = (SELECT id FROM vehicles WHERE user_id = ? \
                     ORDER BY created_at, id LIMIT 1)",
                )
                .bind(true)
                .bind(user),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The driver's vehicle `id`, read inside `tx`; another driver's answers 404 like a missing one.
pub(crate) async fn vehicle_in(tx: &mut Tx<'_>, user: Uuid, id: Uuid) -> AppResult<Vehicle> {
    let row: Option<Row> = tx
        .fetch_optional(
            query(format!("SELECT {COLUMNS} FROM vehicles WHERE id = ? AND user_id = ?")).bind(id).bind(user),
        )
        .await?;
    row.map(Vehicle::try_from).transpose()?.ok_or_else(|| AppError::not_found("vehicle"))
}

/// What a booking records: the named vehicle (which must be the driver's), else the driver's
/// default, else none.
pub(crate) async fn snapshot_for(tx: &mut Tx<'_>, user: Uuid, id: Option<Uuid>) -> AppResult<Option<VehicleSnapshot>> {
    let vehicle = match id {
        Some(id) => Some(vehicle_in(tx, user, id).await?),
        None => {
            let row: Option<Row> = tx
                .fetch_optional(
                    query(format!("SELECT {COLUMNS} FROM vehicles WHERE user_id = ? AND is_default = ?"))
                        .bind(user)
                        .bind(true),
                )
                .await?;
            row.map(Vehicle::try_from).transpose()?
        }
    };
    Ok(vehicle.map(|v| VehicleSnapshot { plate: v.plate.to_string(), label: v.label }))
}

async fn clear_default(tx: &mut Tx<'_>, user: Uuid) -> AppResult<()> {
    tx.execute(
        query("UPDATE vehicles SET is_default = ? WHERE user_id = ? AND is_default = ?")
            .bind(false)
            .bind(user)
            .bind(true),
    )
    .await?;
    Ok(())
}
