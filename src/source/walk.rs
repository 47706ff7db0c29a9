//! Walking directories in parallel, honouring .gitignore.
