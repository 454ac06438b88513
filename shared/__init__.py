"""The common library every service imports: settings, bus contracts, database, metrics, health, logging."""
