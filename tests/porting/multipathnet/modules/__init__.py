"""multipathnet's modules/ (fbcoco.lua requires each; here they are imported by the package's __init__)."""
