"""Stand-ins for ModelArts' `model_service` base classes, so a customize_service.py imports outside ModelArts.

They keep only the contract a package relies on (the constructor, the three stages); they load no engine."""
