"""What every Live Studio service needs: settings, logging, metrics, health, Postgres, migrations, Kafka wiring."""
