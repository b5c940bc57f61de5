//! End-to-end tests across Parkway's parts live in `tests/`; this library is empty.
