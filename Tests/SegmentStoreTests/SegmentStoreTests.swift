// Tests for the SegmentStore module.
