//! `send-event`'s options: those of `aws ivschat send-event`.

use clap::{Args, ValueEnum};

/// `send-event` options: those of `aws ivschat send-event` (the AWS
/// documentation's camelCase spellings are accepted too).
#[derive(Debug, Clone, Args)]
pub struct SendEventArgs {
    /// The room: its ARN (arn:aws:ivschat:REGION:ACCOUNT:room/ID). Required
    /// unless an input file gives it.
    #[arg(long, alias = "roomIdentifier", value_name = "ARN")]
    pub room_identifier: Option<String>,
    /// Application-defined name of the event, 1 to 100 characters. Required
    /// unless an input file gives it.
    #[arg(long, alias = "eventName", value_name = "NAME")]
    pub event_name: Option<String>,
    /// Metadata for the event, 1 KB in all: shorthand
    /// KeyName1=string,KeyName2=string or JSON {"string": "string"}.
    #[arg(long, num_args = 1.., value_name = "MAP")]
    pub attributes: Option<Vec<String>>,
    /// The whole input as JSON (as printed by --generate-cli-skeleton);
    /// options given separately override its values.
    #[arg(long, value_name = "JSON")]
    pub cli_input_json: Option<String>,
    /// The whole input as YAML (as printed by --generate-cli-skeleton
    /// yaml-input); options given separately override its values.
    #[arg(long, value_name = "YAML")]
    pub cli_input_yaml: Option<String>,
    /// Print a sample input (input, the default; yaml-input) or, after
    /// checking the input, a sample output (output). Sends nothing.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "input", value_name = "WHAT")]
    pub generate_cli_skeleton: Option<Skeleton>,
    /// AWS profile from the shared config files.
    #[arg(long)]
    pub profile: Option<String>,
    /// Region for the SDK's own configuration; the event is always sent
    /// through the region in the room's ARN.
    #[arg(long)]
    pub region: Option<String>,
    /// Send to this endpoint instead of AWS (AWS_ENDPOINT_URL_IVSCHAT and
    /// AWS_ENDPOINT_URL are honoured too).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// Output format: json (default), yaml or text (AWS_DEFAULT_OUTPUT sets
    /// the default).
    #[arg(long, value_name = "FORMAT")]
    pub output: Option<String>,
    /// JMESPath expression applied to the response before it is printed.
    #[arg(long, value_name = "JMESPATH")]
    pub query: Option<String>,
    /// Attempts in all when throttled or the service fails (5xx); 1 gives
    /// up at once. Default 5.
    #[arg(long, env = "AWS_MAX_ATTEMPTS", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: Option<u32>,
    /// Seconds allowed to connect (0: no limit).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub cli_connect_timeout: u64,
    /// Seconds allowed for an answer (0: no limit).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub cli_read_timeout: u64,
    /// Accepted for compatibility; there is no pager.
    #[arg(long, hide = true)]
    pub no_cli_pager: bool,
    /// Accepted for compatibility; SendEvent has no pages.
    #[arg(long, hide = true)]
    pub no_paginate: bool,
}

/// What `--generate-cli-skeleton` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Skeleton {
    /// A sample input for --cli-input-json.
    Input,
    /// A sample input for --cli-input-yaml.
    YamlInput,
    /// A sample output, after checking the input.
    Output,
}
