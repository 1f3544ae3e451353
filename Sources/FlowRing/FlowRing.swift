// The FlowRing module; see README.md, "Repository organization".
