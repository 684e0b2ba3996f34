"""The control plane's SQL: `migrations/NNNN_name.sql`, applied in order to its database."""
