//! Command-line arguments (clap derive), and the top-level help that lists
//! the commands by what a user is doing ([`GROUPS`]) rather than in
//! declaration order. Build the parser with [`command`], not
//! `Cli::command()`, so the grouped help is in place.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::fmt::Write as _;
use std::path::PathBuf;

/// `0.1.0 (commit 3f2a9c1d0b7e)`: the release and the commit it was built
/// from (`build.rs`).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("GANTRY_COMMIT"),
    ")"
);

/// Gantry lifts containers onto AWS: one spec in, a production architecture out.
#[derive(Debug, Parser)]
#[command(
    name = "gantry",
    version = VERSION,
    about,
    max_term_width = 100,
    disable_help_subcommand = true,
    after_help = "Examples:
  gantry new shop --from fastapi-rds   # a first gantry.yaml, commented
  gantry doctor                        # credentials, region, endpoint, state, tools
  gantry plan && gantry up
  gantry help spec services.containers # the reference of one spec key"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
pub struct Global {
    /// The spec file.
    #[arg(
        short = 'f',
        long = "file",
        global = true,
        default_value = "gantry.yaml",
        env = "GANTRY_FILE"
    )]
    pub file: PathBuf,
    /// The environment overlay to use (for example dev or prod).
    #[arg(short = 'e', long = "env", global = true, env = "GANTRY_ENV")]
    pub env: Option<String>,
    /// Where local state is kept (default: `.gantry/` beside the spec file).
    #[arg(long, global = true, env = "GANTRY_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Where state is kept, over the spec's `state:`: `local`, or
    /// `s3://BUCKET[/PREFIX]` (the bucket in the spec's region, or in
    /// `state.region`).
    #[arg(
        long,
        global = true,
        env = "GANTRY_STATE",
        value_name = "local|s3://BUCKET[/PREFIX]"
    )]
    pub state: Option<String>,
    /// Turn colours off (also off when NO_COLOR is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// A price table whose items replace the built-in ones (same shape as
    /// `crates/gantry-cost/prices/aws.yaml`), for the cost in plans and
    /// `gantry cost`.
    #[arg(long, global = true, env = "GANTRY_PRICES", value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a first, commented gantry.yaml from one of the examples (each a
    /// production architecture), with `.gantry/` in .gitignore.
    New(NewArgs),
    /// Check that this machine can run Gantry: the spec, AWS credentials
    /// and identity, region, endpoint, state backend and lock, a container
    /// engine, the Session Manager plugin.
    #[command(after_help = "Examples:
  gantry doctor
  gantry doctor -e prod          # the prod environment's region and state

Exit codes: 0 every required check passed; 8 one failed (each ✗ line says
how to fix it). The container engine and the Session Manager plugin are
optional: only `deploy --build` and `exec` need them.")]
    Doctor,
    /// Print help: of gantry, of a command, or of a spec key (`help spec KEY`).
    #[command(after_help = "Examples:
  gantry help up
  gantry help state migrate
  gantry help spec                          # the spec's top-level keys
  gantry help spec services.containers      # one key: type, default, notes
  gantry help spec 'services.*.containers.*.routes'")]
    Help {
        /// A command (and subcommand), or `spec` followed by a dotted key
        /// path (`*` or any name for map entries).
        #[arg(value_name = "COMMAND|spec KEY")]
        topic: Vec<String>,
    },
    /// Prepare where the state is kept: for S3, create the bucket if it is
    /// missing (versioned, SSE-KMS, public access blocked, TLS only, old
    /// versions expiring) and report its posture.
    #[command(after_help = "Examples:
  gantry init                                   # local state: creates .gantry/
  gantry --state s3://acme-gantry-state init    # a team's state bucket")]
    Init,
    /// Check the spec and report every problem with file:line:col.
    #[command(after_help = "Examples:
  gantry validate
  gantry -f infra/gantry.yaml -e prod validate")]
    Validate,
    /// Show what `up` would change, refreshed against AWS.
    #[command(after_help = "Examples:
  gantry plan
  gantry plan -e prod --json > plan.json
  gantry plan --detailed-exitcode     # in CI: 0 no changes, 2 changes, 1 error")]
    Plan(PlanArgs),
    /// Show what changed in AWS outside Gantry, field by field, without
    /// planning the spec's changes.
    Drift(DriftArgs),
    /// Estimate the monthly cost of an environment, or of all side by side.
    Cost(CostArgs),
    /// Write the architecture document (diagrams and tables) of an
    /// environment, generated from the spec and the recorded state.
    Docs(DocsArgs),
    /// Write the environment's desired architecture for another tool
    /// (a CloudFormation template), from the spec alone.
    #[command(
        subcommand,
        after_help = "Examples:
  gantry export cloudformation -e prod -o infra/"
    )]
    Export(ExportCommand),
    /// Create or update the stack to match the spec.
    #[command(after_help = "Examples:
  gantry up                  # shows the plan and its cost, asks, applies
  gantry up -e prod --yes    # in CI: no question
  gantry up --allow-data-loss   # when a database must be replaced on purpose")]
    Up(UpArgs),
    /// Delete every resource of the stack.
    #[command(after_help = "Examples:
  gantry destroy
  gantry destroy -e preview-42 --yes")]
    Destroy(DestroyArgs),
    /// Ship new images to services without re-planning the stack: build and
    /// push them (--build) or take images built elsewhere (--image), then
    /// follow each rollout until ECS decides it.
    Deploy(DeployArgs),
    /// Return a service to an earlier release, or stop a rollout in
    /// progress and have ECS roll it back.
    Rollback(RollbackArgs),
    /// List a service's releases: revision, images, when, who, outcome.
    #[command(after_help = "Examples:
  gantry deployments web
  gantry deployments web --json")]
    Deployments(DeploymentsArgs),
    /// Show the stack's resources and each service's tasks and deployment.
    #[command(after_help = "Examples:
  gantry status
  gantry status --watch --interval 10s
  gantry status -e prod --json")]
    Status(StatusArgs),
    /// Print values other tools need (repository URLs, role ARNs, DNS
    /// names, ...) from the recorded state.
    Output(OutputArgs),
    /// Print a service's logs in time order, follow them, or run a Logs
    /// Insights query over the stack's log groups.
    Logs(LogsArgs),
    /// Open a shell (or run a command) in a running task of a service,
    /// through ECS Exec and the Session Manager plugin.
    Exec(ExecArgs),
    /// Run a job now, follow it to its end and exit with its exit code.
    Run(RunArgs),
    /// Print the resource graph as a Mermaid flowchart, grouped by apply order.
    #[command(after_help = "Examples:
  gantry graph > graph.mmd
  gantry graph -e prod")]
    Graph,
    /// Print the JSON Schema of the spec (for editors).
    #[command(after_help = "Examples:
  gantry schema > gantry.schema.json
  # then, first line of gantry.yaml (YAML language server):
  # yaml-language-server: $schema=./gantry.schema.json")]
    Schema,
    /// Remove a lock left behind by a crashed run.
    #[command(after_help = "Examples:
  gantry unlock
  gantry -e prod unlock

Only when the run named in the lock error is really gone: a crashed run's
lock is also taken over by itself once its lease expires.")]
    Unlock,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = "Examples:
  gantry completions bash > /etc/bash_completion.d/gantry
  gantry completions zsh > \"${fpath[1]}/_gantry\"
  gantry completions fish > ~/.config/fish/completions/gantry.fish")]
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) of gantry and its commands.
    #[command(after_help = "Examples:
  gantry man > /usr/local/share/man/man1/gantry.1
  gantry man | man -l -")]
    Man,
    /// Read the recorded state, forget a resource, adopt one made outside
    /// Gantry, or move the state elsewhere (Terraform's `state` commands).
    #[command(
        subcommand,
        after_help = "Examples:
  gantry state list
  gantry state show ecs_service.web
  gantry state migrate --to s3://acme-gantry-state/team"
    )]
    State(StateCommand),
    /// Manage application secrets.
    #[command(
        subcommand,
        after_help = "Examples:
  printf %s \"$STRIPE_KEY\" | gantry secret set stripe_key"
    )]
    Secret(SecretCommand),
    /// Manage the static site (`site:` in the spec).
    #[command(
        subcommand,
        after_help = "Examples:
  npm run build && gantry site publish web/dist"
    )]
    Site(SiteCommand),
    /// Write a gantry.yaml from a Copilot workspace or a docker-compose
    /// file, with a `# import:` comment at every setting that has no
    /// equivalent.
    #[command(
        subcommand,
        after_help = "Examples:
  gantry import copilot .
  gantry import compose docker-compose.yml -o gantry.yaml"
    )]
    Import(ImportCommand),
    /// Write the CI workflow that plans pull requests and deploys through
    /// the stack's OIDC roles (`ci:` in the spec).
    #[command(
        subcommand,
        after_help = "Example:
  gantry ci github --apply-role arn:aws:iam::123456789012:role/infra-admin"
    )]
    Ci(CiCommand),
    /// Preview environments (`gantry up -e pr-42 --from dev`): list them
    /// with age, expiry and cost, or destroy the expired ones.
    #[command(
        subcommand,
        after_help = "Examples:
  gantry -e pr-42 up --from dev --ttl 3d --yes
  gantry preview list
  gantry preview gc --yes"
    )]
    Preview(PreviewCommand),
}

#[derive(Debug, Subcommand)]
pub enum CiCommand {
    /// Write `.github/workflows/gantry.yml`: `gantry plan` on pull requests
    /// (posted as a comment), `gantry deploy --build` (after `gantry up`
    /// with --apply-role) on the deploy branches; actions pinned by SHA.
    #[command(after_help = "Examples:
  gantry ci github                                  # after `gantry up` created the roles
  gantry ci github --apply-role arn:aws:iam::123456789012:role/infra-admin --previews
  gantry ci github --install 'cargo install --locked --git https://example.com/gantry.git gantry-cli' --force")]
    Github(CiGithubArgs),
}

#[derive(Debug, Args)]
pub struct CiGithubArgs {
    /// Where to write the workflow.
    #[arg(short = 'o', long = "output", default_value = gantry_ci_path())]
    pub output: PathBuf,
    /// Overwrite the workflow when it exists.
    #[arg(long)]
    pub force: bool,
    /// A role the team keeps for infrastructure (trusting the deploy
    /// branches, and pull requests with --previews): the push job runs
    /// `gantry up` with it before deploying.
    #[arg(long, value_name = "ARN")]
    pub apply_role: Option<String>,
    /// Also create a preview environment (`pr-N`, from this environment)
    /// when a pull request opens or changes, and destroy it when it closes.
    #[arg(long, requires = "apply_role")]
    pub previews: bool,
    /// How long a preview lives without a push (`gantry preview gc`).
    #[arg(long, default_value = "7d", requires = "previews")]
    pub preview_ttl: String,
    /// The command that installs gantry on the runner.
    #[arg(
        long,
        value_name = "CMD",
        default_value = "cargo install --locked gantry-cli"
    )]
    pub install: String,
}

const fn gantry_ci_path() -> &'static str {
    crate::ci::WORKFLOW_PATH
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// A Copilot workspace: services and jobs (`copilot/*/manifest.yml`),
    /// environments (`copilot/environments/*/manifest.yml`) and addons
    /// (`copilot/*/addons/*.yml`).
    #[command(after_help = "Examples:
  gantry import copilot .                 # the directory holding copilot/
  gantry import copilot ~/src/shop -o shop/gantry.yaml --region eu-west-3")]
    Copilot {
        /// The workspace root (the directory holding `copilot/`).
        dir: PathBuf,
        #[command(flatten)]
        out: ImportArgs,
    },
    /// A docker-compose file: services, databases, volumes, healthchecks.
    #[command(after_help = "Examples:
  gantry import compose docker-compose.yml
  gantry import compose compose.yaml -o gantry.yaml --force --name shop")]
    Compose {
        /// The compose file.
        file: PathBuf,
        #[command(flatten)]
        out: ImportArgs,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Where to write the spec.
    #[arg(short = 'o', long = "output", default_value = "gantry.yaml")]
    pub output: PathBuf,
    /// Overwrite the output file when it exists.
    #[arg(long)]
    pub force: bool,
    /// The AWS region written into the spec.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// The stack name (default: the Copilot application's or the compose
    /// project's name, made valid).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SiteCommand {
    /// Upload a build directory (with index.html) to the site's bucket:
    /// new and changed files with their content types, files gone from the
    /// build deleted; then invalidate the CloudFront cache. The stack must
    /// be up.
    #[command(after_help = "Examples:
  gantry site publish web/dist
  gantry site publish -e prod dist/")]
    Publish {
        /// The build output, for example `web/dist`.
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Store a secret's value, read from standard input (never from the
    /// spec or the command line): a secret under `secrets:`, or a secure
    /// parameter (`parameters: {NAME: {secure: true}}`). The stack must be
    /// up.
    #[command(after_help = "Examples:
  printf %s \"$OPENAI_API_KEY\" | gantry secret set openai_key
  gantry secret set -e prod session_key < key.txt")]
    Set {
        /// The secret's name under `secrets:` (or the secure parameter's
        /// under `parameters:`) in the spec.
        name: String,
    },
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry cost                  # the dev environment, a line per resource
  gantry cost --all --detail   # every environment side by side, a line per charge
  gantry cost -e prod --json")]
pub struct CostArgs {
    /// Every environment of the spec side by side.
    #[arg(long)]
    pub all: bool,
    /// A line per charge (hours, storage, requests...) rather than per resource.
    #[arg(long)]
    pub detail: bool,
    /// Print the estimates as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry docs                          # dev's document on standard output
  gantry docs -e prod -o docs/architecture.md")]
pub struct DocsArgs {
    /// Write to this file instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A CloudFormation template (JSON) of the environment's desired graph:
    /// `DIR/<stack>-<env>.template.json`. What CloudFormation cannot say
    /// the way Gantry does is printed and kept in the template's Metadata.
    Cloudformation(CloudformationArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry export cloudformation                   # cfn/<stack>-dev.template.json
  gantry export cloudformation -e prod -o infra/
  gantry export cloudformation --all             # one template per environment

Scanner findings Gantry answers on purpose are skipped per resource in the
template's Metadata, each with its reason (crates/gantry-export/src/skips.rs).")]
pub struct CloudformationArgs {
    /// The directory the templates are written to.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        default_value = "cfn"
    )]
    pub output: PathBuf,
    /// Every environment of the spec, a template each.
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry drift
  gantry drift -e prod --detailed-exitcode   # 0 nothing drifted, 2 something did")]
pub struct DriftArgs {
    /// Exit 0 when nothing drifted, 2 when something did, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print the drift as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// Apply without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Maximum operations in flight per AWS service (default: per-service limits).
    #[arg(long)]
    pub parallelism: Option<usize>,
    /// Allow changes that replace or delete a data store (database, cache,
    /// table, bucket, file system), losing its data.
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Make (or update) `-e NAME` as a preview environment of ENV: ENV's
    /// overlay, small, disposable, on its own subdomain, recorded with an
    /// expiry for `gantry preview list` and `gc`.
    #[arg(long, value_name = "ENV")]
    pub from: Option<String>,
    /// How long a preview lives after this `up` before `gantry preview gc`
    /// destroys it.
    #[arg(long, value_parser = duration, default_value = "7d", requires = "from")]
    pub ttl: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub enum PreviewCommand {
    /// The stack's preview environments: what each is built from, its age,
    /// when it expires and its monthly cost.
    #[command(after_help = "Examples:
  gantry preview list
  gantry preview list --json | jq -r '.[].name'")]
    List {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// Destroy every expired preview environment (and only those).
    #[command(after_help = "Example:
  gantry preview gc --yes          # in a nightly CI job")]
    Gc {
        /// Destroy without asking.
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Destroy without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

fn duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s)
        .map_err(|e| format!("`{s}` is not a duration like 15m or 1h30m: {e}"))
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry deploy --build                      # build every `build:` container, push, roll out
  gantry deploy web --image app=123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2
  gantry deploy --image web/app=ghcr.io/acme/app@sha256:... --timeout 30m

Exit codes: 0 every rollout completed; 5 a rollout failed (or the circuit
breaker rolled it back); 6 still rolling out when --timeout ran out.")]
pub struct DeployArgs {
    /// The services and jobs to ship to (default: those the --image flags
    /// and --build name). A job's new revision is registered; its
    /// schedule and rule run it next.
    pub services: Vec<String>,
    /// `CONTAINER=IMAGE` or `SERVICE/CONTAINER=IMAGE`: an image built
    /// elsewhere (CI) for that container. Repeatable.
    #[arg(long = "image", value_name = "[SERVICE/]CONTAINER=IMAGE", value_parser = clap::value_parser!(crate::deploy::ImageArg))]
    pub images: Vec<crate::deploy::ImageArg>,
    /// Build each `build:` container with the local container engine
    /// (Podman or Docker), tag it with the git commit and push it to its
    /// ECR repository.
    #[arg(long)]
    pub build: bool,
    /// How long to follow the rollouts.
    #[arg(long, default_value = "15m", value_parser = duration)]
    pub timeout: std::time::Duration,
    /// Start the rollouts and return without following them.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry rollback web            # stop a rollout in progress, or go back one release
  gantry rollback web --to 3     # the release numbered 3 in `gantry deployments web`")]
pub struct RollbackArgs {
    /// The service.
    pub service: String,
    /// The release to return to (its number in `gantry deployments`).
    #[arg(long, value_name = "RELEASE")]
    pub to: Option<u64>,
    /// How long to follow the rollout.
    #[arg(long, default_value = "15m", value_parser = duration)]
    pub timeout: std::time::Duration,
    /// Start the rollout and return without following it.
    #[arg(long)]
    pub no_wait: bool,
}

#[derive(Debug, Args)]
pub struct DeploymentsArgs {
    /// The service or job.
    pub service: String,
    /// Print machine-readable JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Every recorded address with its kind and physical id.
    #[command(after_help = "Examples:
  gantry state list
  gantry state list --json | jq -r '.[].address'")]
    List {
        /// Print machine-readable JSON.
        #[arg(long)]
        json: bool,
    },
    /// One recorded resource: its id, properties (secrets as markers),
    /// outputs and dependencies, as JSON.
    #[command(after_help = "Examples:
  gantry state show ecs_service.web
  gantry state show rds_instance.db -e prod")]
    Show { address: String },
    /// Forget resources without touching them in AWS.
    #[command(after_help = "Examples:
  gantry state rm log_group.web
  gantry state rm s3_bucket.uploads s3_bucket.pdfs

The objects keep their gantry:* tags: while the spec still wants an
address, `gantry up` adopts its object again; otherwise `plan` lists it as
untracked and `gantry destroy` would delete it (it is listed before destroy
asks). Remove the tags to let go of it for good.")]
    Rm {
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Adopt an object made outside Gantry at an address the spec wants:
    /// read by its id and recorded; the next `plan` shows what differs.
    #[command(after_help = "Examples:
  gantry state import log_group.web /gantry/shop/dev/web
  gantry state import s3_bucket.uploads shop-dev-uploads-0a1b2c")]
    Import { address: String, id: String },
    /// Print the state snapshot (with the journal replayed) as JSON.
    #[command(after_help = "Examples:
  gantry state pull > state-backup.json")]
    Pull,
    /// Move this stack's state (resources, release history, serial and
    /// lineage) to another backend, under both locks. The source is left
    /// as it was, as a backup: point the spec's `state:` (or `--state`) at
    /// the destination afterwards.
    #[command(after_help = "Examples:
  gantry state migrate --to s3://acme-gantry-state/team   # local -> S3
  gantry --state s3://acme-gantry-state/team state migrate --to local")]
    Migrate {
        /// `local`, or `s3://BUCKET[/PREFIX]`.
        #[arg(long, value_name = "local|s3://BUCKET[/PREFIX]")]
        to: String,
    },
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry output                                          # every output, a line each
  gantry output ecr_repository.web-app.repository_url    # one value, bare, for scripts
  gantry output iam_role.web-task --json                 # the outputs of one resource")]
pub struct OutputArgs {
    /// An output's name (`ADDRESS.ATTRIBUTE`), or an address for all of its
    /// outputs; every output without it.
    pub name: Option<String>,
    /// Print a JSON object of the outputs selected.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print machine-readable JSON (with --watch, one document per line).
    #[arg(long)]
    pub json: bool,
    /// Keep showing the services' status, read again every --interval,
    /// until Ctrl-C (the scan for untracked objects runs once).
    #[arg(long)]
    pub watch: bool,
    /// How often --watch reads again.
    #[arg(long, default_value = "5s", value_parser = duration, requires = "watch")]
    pub interval: std::time::Duration,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry logs web --since 30m --filter ERROR
  gantry logs web --container app --follow
  gantry logs --query 'fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc'")]
pub struct LogsArgs {
    /// The service (all services when left out).
    pub service: Option<String>,
    /// Only this container's lines.
    #[arg(long, short = 'c')]
    pub container: Option<String>,
    /// From how long ago (`10m`, `1h30m`, `2d`) or from when (RFC 3339,
    /// `2026-12-01T09:00:00Z`).
    #[arg(long, default_value = "10m")]
    pub since: String,
    /// Keep printing new lines as they arrive, until Ctrl-C.
    #[arg(long, conflicts_with = "query")]
    pub follow: bool,
    /// A CloudWatch Logs filter pattern (`ERROR`, `"request completed"`,
    /// `{ $.level = "error" }`).
    #[arg(long, conflicts_with = "query")]
    pub filter: Option<String>,
    /// Run this Logs Insights query over the service's log group (or the
    /// stack's log groups) and print the rows as a table.
    #[arg(long)]
    pub query: Option<String>,
    /// Print JSON: one object per line, or the query's result.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry exec web
  gantry exec web --container agent -- python -c 'import sys; print(sys.version)'

The service needs `exec: true` in the spec (then `gantry up`), and the
Session Manager plugin must be installed:
https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html")]
pub struct ExecArgs {
    /// The service.
    pub service: String,
    /// The container (default: the task's first).
    #[arg(long, short = 'c')]
    pub container: Option<String>,
    /// The command and its arguments (default: `/bin/sh`).
    #[arg(last = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry run cleanup
  gantry run cleanup -- python cleanup.py --dry-run

Starts the job's task as its schedule would (its task definition, the
private subnets, its security group), prints each status it goes through
and its last log lines, and exits with the job's exit code: that of its
first essential container to fail, else 0. 125: the task stopped before
the container ran (the stop reason is printed); 124: still running at
--timeout (the task goes on).")]
pub struct RunArgs {
    /// The job.
    pub job: String,
    /// How long to wait for the task to stop, like `30m` or `90s`.
    #[arg(long, default_value = "1h", value_parser = duration)]
    pub timeout: std::time::Duration,
    /// Log lines to print when it ends.
    #[arg(long, default_value_t = 20)]
    pub lines: usize,
    /// Replace the command of the job's essential container.
    #[arg(last = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  gantry new                                  # asks which shape fits, writes ./gantry.yaml
  gantry new shop --from fastapi-rds          # shop/gantry.yaml, stack `shop`
  gantry new --from minimal --name api --region eu-west-3

The spec is checked as `gantry validate` checks it before it is written.
Exit codes: 0 written; 7 a spec is already there (nothing was changed).")]
pub struct NewArgs {
    /// The directory to write `gantry.yaml` in (created if missing).
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The example to start from (without it, asked on a terminal).
    #[arg(long, value_name = "EXAMPLE", value_parser = clap::builder::PossibleValuesParser::new(crate::scaffold::EXAMPLES.iter().map(|e| e.id)))]
    pub from: Option<String>,
    /// The stack name (default: the directory's name, made valid).
    #[arg(long)]
    pub name: Option<String>,
    /// The AWS region (default: the example's).
    #[arg(long)]
    pub region: Option<String>,
}

/// The top-level help's command groups, by what the user is doing. Every
/// command belongs to one (a unit test holds that), so a new command shows
/// up in the help only once it is placed here.
pub const GROUPS: &[(&str, &[&str])] = &[
    (
        "Build",
        &[
            "new", "doctor", "validate", "plan", "up", "destroy", "import",
        ],
    ),
    (
        "Ship",
        &["deploy", "rollback", "deployments", "site", "secret"],
    ),
    ("Run", &["status", "logs", "exec", "run", "output"]),
    ("Team", &["init", "state", "ci", "preview", "unlock"]),
    ("Insight", &["cost", "docs", "drift", "graph", "export"]),
    ("Setup", &["completions", "man", "schema", "help"]),
];

/// The commands of `cmd`, grouped as [`GROUPS`] says, each with the first
/// line of its description; commands in no group come last, under
/// "Other" (the unit test fails on those).
fn grouped_commands(cmd: &clap::Command) -> String {
    let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    let width = subs.iter().map(|s| s.get_name().len()).max().unwrap_or(0);
    let about = |s: &clap::Command| {
        s.get_about()
            .map(|a| a.to_string())
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    let group = |title: &str, names: &[&str], out: &mut String| {
        let members: Vec<&&clap::Command> = names
            .iter()
            .filter_map(|n| subs.iter().find(|s| s.get_name() == *n))
            .collect();
        if members.is_empty() {
            return;
        }
        let _ = writeln!(out, "{title}:");
        for s in members {
            // Wrapped to the help's 100 columns, under the description.
            let mut line = format!("  {:width$} ", s.get_name());
            for word in about(s).split_whitespace() {
                if line.len() + 1 + word.len() > 100 && line.trim_end().len() > width + 2 {
                    let _ = writeln!(out, "{}", line.trim_end());
                    line = " ".repeat(width + 3);
                }
                line.push(' ');
                line.push_str(word);
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        out.push('\n');
    };
    let mut out = String::new();
    for (title, names) in GROUPS {
        group(title, names, &mut out);
    }
    let rest: Vec<&str> = subs
        .iter()
        .map(|s| s.get_name())
        .filter(|n| !GROUPS.iter().any(|(_, names)| names.contains(n)))
        .collect();
    group("Other", &rest, &mut out);
    out
}

/// The parser, with the top-level help listing the commands by group.
pub fn command() -> clap::Command {
    let cmd = Cli::command();
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{{usage-heading}} {{usage}}\n\n{}Options:\n{{options}}{{after-help}}",
        grouped_commands(&cmd)
    );
    cmd.help_template(template)
}

/// Parses the process's arguments with [`command`].
pub fn parse() -> Result<Cli, clap::Error> {
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(std::env::args_os())?;
    Cli::from_arg_matches(&matches).map_err(|e| e.with_cmd(&cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_in_one_group() {
        let cmd = Cli::command();
        let help = grouped_commands(&cmd);
        assert!(!help.contains("Other:"), "place these in GROUPS:\n{help}");
        let mut seen = std::collections::BTreeSet::new();
        for (_, names) in GROUPS {
            for n in *names {
                assert!(seen.insert(*n), "{n} is in two groups");
                assert!(
                    cmd.find_subcommand(n).is_some(),
                    "GROUPS names `{n}`, which is no command"
                );
            }
        }
    }

    #[test]
    fn the_parser_is_consistent() {
        command().debug_assert();
    }
}
