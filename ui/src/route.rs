//! Every screen has a path, so reloads and the back button work.

use uuid::Uuid;
use yew_router::prelude::*;

/// The app's routes.
#[derive(Debug, Clone, PartialEq, Routable)]
pub enum Route {
    /// Map search.
    #[at("/")]
    Search,
    /// Sign in.
    #[at("/signin")]
    SignIn,
    /// Sign up.
    #[at("/signup")]
    SignUp,
    /// A driveway's detail and booking form.
    #[at("/driveways/:id")]
    Driveway {
        /// The driveway.
        id: Uuid,
    },
    /// The driver's bookings.
    #[at("/bookings")]
    Bookings,
    /// The driver's vehicles.
    #[at("/vehicles")]
    Vehicles,
    /// The owner's dashboard.
    #[at("/owner")]
    Owner,
    /// The owner's earnings.
    #[at("/owner/earnings")]
    Earnings,
    /// A new driveway.
    #[at("/owner/driveways/new")]
    NewDriveway,
    /// Editing one of the owner's driveways.
    #[at("/owner/driveways/:id")]
    EditDriveway {
        /// The driveway.
        id: Uuid,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}
