"""The domain: value objects, read models, domain errors and every port. No framework or driver here."""
