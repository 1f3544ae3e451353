// The Pipeline module; see README.md, "Repository organization".
