// Tests for the Query module.
