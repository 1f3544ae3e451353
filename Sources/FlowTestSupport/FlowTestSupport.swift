// The FlowTestSupport module; see README.md, "Repository organization".
