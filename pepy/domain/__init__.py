"""The domain: value objects, the Project aggregate, domain errors and ports. No framework or driver here."""
