; Inno Setup 6 script: the Windows installer of LicenseDesk (both executables, Start-menu
; entry, optional desktop icon, optional licensedesk-cli on PATH, uninstaller).
; Build the bundle first (bash packaging/build.sh), then, from the repository root:
;   iscc /DAppVersion=0.1.0 packaging\windows\licensedesk.iss
; -> dist\licensedesk-0.1.0-windows-x64-setup.exe
; Not built or run on the project's Linux machine: made from Inno Setup's documentation
; (https://jrsoftware.org/ishelp/) and built by .github/workflows/release.yml.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z packaging\windows\licensedesk.iss
#endif

#define AppName "LicenseDesk"
#define AppExe "licensedesk.exe"
#define CliExe "licensedesk-cli.exe"

[Setup]
; AppId identifies the installation for upgrades and the uninstaller: never change it.
AppId={{EAAA3D46-50C7-4898-BC0E-3F6CA8627E9D}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=LicenseDesk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
; Per-user by default (no administrator needed); the user may choose all users instead.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
SourceDir=..\..
OutputDir=dist
OutputBaseFilename=licensedesk-{#AppVersion}-windows-x64-setup
SetupIconFile=build\icons\licensedesk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
WizardStyle=modern
Compression=lzma2/max
SolidCompression=yes
ChangesEnvironment=yes
; Code signing: release.yml signs the executables before this runs and the setup after it.
; To let Inno Setup sign instead, define a sign tool named "signtool" in the IDE or with
; iscc "/Ssigntool=signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 $f"
; and uncomment:
; SignTool=signtool

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add licensedesk-cli to the PATH (command line use)"; Flags: unchecked

[Files]
Source: "dist\licensedesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the whole bundle: no library of the previous version is left behind.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Third-party notices"; Filename: "{app}\_internal\THIRD-PARTY-NOTICES"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
Root: HKA; Subkey: "{code:EnvironmentKey}"; ValueType: expandsz; ValueName: "Path"; \
    ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function EnvironmentKey(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function PathRoot: Integer;
begin
  if IsAdminInstallMode then
    Result := HKEY_LOCAL_MACHINE
  else
    Result := HKEY_CURRENT_USER;
end;

function NeedsAddPath(Dir: String): Boolean;
var
  Paths: String;
begin
  if not RegQueryStringValue(PathRoot, EnvironmentKey(''), 'Path', Paths) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Paths, Dir: String;
  P: Integer;
begin
  if CurUninstallStep <> usPostUninstall then
    exit;
  if not RegQueryStringValue(PathRoot, EnvironmentKey(''), 'Path', Paths) then
    exit;
  Dir := ExpandConstant('{app}');
  P := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Paths) + ';');
  if P = 0 then
    exit;
  // P points at the separator before Dir in ';' + Paths + ';', so Dir starts at P in Paths.
  if P = 1 then
    Delete(Paths, 1, Length(Dir) + 1)  // Dir first: drop it and the separator after it
  else
    Delete(Paths, P - 1, Length(Dir) + 1);  // drop the separator before it and Dir
  RegWriteExpandStringValue(PathRoot, EnvironmentKey(''), 'Path', Paths);
end;
