// Tests for the FlowRing module.
