// The SegmentStore module; see README.md, "Repository organization".
