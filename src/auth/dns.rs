//! DNS fetching (placeholder).
