; Inno Setup script: a per-user installer for the one-folder bundle (no administrator rights).
; Built by .github/workflows/installers.yml:
;   iscc /DAppVersion=0.1.0 /DBundleDir=build\dist\workbench /DOutDir=dist packaging\windows\workbench.iss
; Uninstalling removes the program only: sessions, settings and logs in %LOCALAPPDATA%\Workbench
; and keys in the Windows Credential Manager stay the user's.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif

[Setup]
AppId={{3C6F1E52-8B0B-4C64-9E7B-7A1A8F0B5D21}
AppName=Workbench
AppVersion={#AppVersion}
AppPublisher=Workbench developers
DefaultDirName={localappdata}\Programs\Workbench
DefaultGroupName=Workbench
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutDir}
OutputBaseFilename=workbench-{#AppVersion}-windows-x86_64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\workbench.exe
Compression=lzma2/normal
SolidCompression=yes
WizardStyle=modern

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Workbench"; Filename: "{app}\workbench.exe"
Name: "{autodesktop}\Workbench"; Filename: "{app}\workbench.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Run]
Filename: "{app}\workbench.exe"; Description: "{cm:LaunchProgram,Workbench}"; Flags: nowait postinstall skipifsilent
