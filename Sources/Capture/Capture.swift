// The Capture module; see README.md, "Repository organization".
