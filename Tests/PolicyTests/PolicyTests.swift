// Tests for the Policy module.
