//! Projects as folders: the one place that turns a folder into a project and a project back
//! into its folder, for the app and the CLI alike.
//!
//! A project's path is stored as its canonical folder (symlinks resolved, absolute), as UTF-8
//! text, so the same folder added from the app, from the CLI or through a symlink is one
//! project. Adding a folder that is already a project answers that project and writes nothing.

use std::path::{Path, PathBuf};

use coder_domain::{Command, ProjectId};
use coder_engine::{DispatchError, Engine};

/// A folder cannot be a project, or a project's folder cannot be reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProjectError {
    #[error("{path} is not a folder")]
    NotAFolder { path: String },
    #[error("{path} has a name that is not UTF-8 text, which Coder cannot record")]
    NotUtf8 { path: String },
    #[error("no project {0}")]
    Unknown(ProjectId),
    #[error("the project folder {path} cannot be opened: {reason}")]
    Folder { path: String, reason: String },
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
}

impl ProjectError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAFolder { .. } | Self::NotUtf8 { .. } => "not_a_folder",
            Self::Unknown(_) => "not_found",
            Self::Folder { .. } => "project_folder",
            Self::Dispatch(e) => e.code(),
        }
    }
}

/// `dir` as a project records it: canonical, a folder, UTF-8. Reads the file system.
pub fn canonical_folder(dir: &Path) -> Result<String, ProjectError> {
    let shown = || dir.display().to_string();
    let folder = std::fs::canonicalize(dir)
        .ok()
        .filter(|p| p.is_dir())
        .ok_or_else(|| ProjectError::NotAFolder { path: shown() })?;
    folder.into_os_string().into_string().map_err(|_| ProjectError::NotUtf8 { path: shown() })
}

/// The project whose folder is `folder` (as `canonical_folder` gives it), if there is one.
pub fn find(engine: &Engine, folder: &str) -> Option<ProjectId> {
    engine.with_state(|s| s.projects.values().find(|p| p.path == folder).map(|p| p.id))
}

/// The project of the folder `dir`, added (named after the folder) when Coder does not know it.
pub async fn add(engine: &Engine, dir: &Path) -> Result<ProjectId, ProjectError> {
    let folder = canonical_folder(dir)?;
    if let Some(id) = find(engine, &folder) {
        return Ok(id);
    }
    let name = Path::new(&folder).file_name().map_or_else(|| folder.clone(), |n| n.to_string_lossy().into());
    let project_id = ProjectId::new();
    engine.dispatch(Command::CreateProject { project_id, name, path: folder }).await?;
    Ok(project_id)
}

/// The folder of a project, canonical now (it may have moved behind a symlink since it was
/// added). Reads the file system: keep it off a UI thread.
pub fn root(engine: &Engine, project: ProjectId) -> Result<PathBuf, ProjectError> {
    let path = engine
        .with_state(|s| s.projects.get(&project).map(|p| p.path.clone()))
        .ok_or(ProjectError::Unknown(project))?;
    std::fs::canonicalize(&path).map_err(|e| ProjectError::Folder { path, reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(dir: &Path) -> Engine {
        let engine = Engine::open(dir.join("data")).unwrap();
        engine.wait_until_ready();
        engine
    }

    #[tokio::test]
    async fn a_folder_is_one_project_however_it_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        let folder = dir.path().join("shop");
        std::fs::create_dir(&folder).unwrap();
        let link = dir.path().join("shop-link");
        std::os::unix::fs::symlink(&folder, &link).unwrap();

        let id = add(&engine, &folder).await.unwrap();
        assert_eq!(add(&engine, &link).await.unwrap(), id, "through a symlink it is the same project");
        assert_eq!(add(&engine, &folder.join("..").join("shop")).await.unwrap(), id, "and with `..`");
        let projects = engine.with_state(|s| s.projects.values().cloned().collect::<Vec<_>>());
        assert_eq!(projects.len(), 1, "added once: {projects:?}");
        assert_eq!(projects[0].name, "shop");
        assert_eq!(Path::new(&projects[0].path), std::fs::canonicalize(&folder).unwrap());
        assert_eq!(root(&engine, id).unwrap(), std::fs::canonicalize(&folder).unwrap());
        engine.close();
    }

    #[tokio::test]
    async fn what_is_not_a_folder_is_refused_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        let file = dir.path().join("notes.txt");
        std::fs::write(&file, "x").unwrap();
        for path in [file, dir.path().join("missing")] {
            let e = add(&engine, &path).await.unwrap_err();
            assert_eq!(e.code(), "not_a_folder", "{e}");
            assert!(e.to_string().contains(&path.display().to_string()), "the error names the path: {e}");
        }
        assert!(engine.with_state(|s| s.projects.is_empty()), "nothing was recorded");
        let e = root(&engine, ProjectId::new()).unwrap_err();
        assert_eq!(e.code(), "not_found");
        engine.close();
    }

    #[tokio::test]
    async fn a_project_whose_folder_is_gone_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let engine = engine(dir.path());
        let folder = dir.path().join("gone");
        std::fs::create_dir(&folder).unwrap();
        let id = add(&engine, &folder).await.unwrap();
        std::fs::remove_dir(&folder).unwrap();
        let e = root(&engine, id).unwrap_err();
        assert_eq!(e.code(), "project_folder");
        assert!(e.to_string().contains("gone"), "{e}");
        engine.close();
    }
}
