// Tests for the flowlog module.
