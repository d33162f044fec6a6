CREATE TABLE `experiments` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`description` text NOT NULL,
	`status` text NOT NULL,
	`holdout_share` real NOT NULL,
	`arms` text NOT NULL,
	`started_at` integer NOT NULL,
	`stopped_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `monitoring_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`model_name` text,
	`model_version` text,
	`window_from` integer NOT NULL,
	`window_to` integer NOT NULL,
	`n` integer NOT NULL,
	`level` text NOT NULL,
	`result` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `monitoring_runs_kind_idx` ON `monitoring_runs` (`kind`,`id`);--> statement-breakpoint
CREATE TABLE `review_holds` (
	`decision_id` text PRIMARY KEY NOT NULL,
	`lead_id` text NOT NULL,
	`team_id` text NOT NULL,
	`proposed_rep_id` text,
	`why` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`resolved_by` text,
	`note` text,
	`next_decision_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE INDEX `review_holds_status_idx` ON `review_holds` (`team_id`,`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `signal_events` (
	`team_id` text NOT NULL,
	`id` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject` text NOT NULL,
	`domain` text,
	`type` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`properties` text NOT NULL,
	`source` text NOT NULL,
	`ingested_at` integer NOT NULL,
	`ingested_by` text NOT NULL,
	PRIMARY KEY(`team_id`, `id`)
);
--> statement-breakpoint
CREATE INDEX `signal_events_subject_idx` ON `signal_events` (`team_id`,`subject`,`occurred_at`);--> statement-breakpoint
CREATE INDEX `signal_events_domain_idx` ON `signal_events` (`team_id`,`domain`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `accounts` (
	`domain` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`team_id` text NOT NULL,
	`owner_rep_id` text,
	`strategic` integer DEFAULT false NOT NULL,
	`industry` text,
	`employees` integer,
	`arr` real,
	`territory_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`subject` text NOT NULL,
	`severity` text NOT NULL,
	`message` text NOT NULL,
	`count` integer DEFAULT 1 NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	`resolved_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_open_idx` ON `alerts` (`kind`,`subject`) WHERE resolved_at IS NULL;--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`scopes` text NOT NULL,
	`team_id` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_token_hash_unique` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`entity_type` text NOT NULL,
	`entity_id` text NOT NULL,
	`before` text,
	`after` text,
	`reason` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `decisions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`lead_id` text NOT NULL,
	`team_id` text NOT NULL,
	`outcome` text NOT NULL,
	`rep_id` text,
	`tier` text NOT NULL,
	`mode` text NOT NULL,
	`probability` real,
	`model_name` text,
	`model_version` text,
	`model_sha256` text,
	`policy_version` integer NOT NULL,
	`reason` text NOT NULL,
	`queue` text,
	`is_current` integer DEFAULT true NOT NULL,
	`crm_status` text DEFAULT 'new' NOT NULL,
	`crm_note` text,
	`crm_updated_at` integer,
	`crm_accepted_at` integer,
	`supersedes` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`lead_id`) REFERENCES `leads`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `decisions_id_idx` ON `decisions` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `decisions_current_idx` ON `decisions` (`lead_id`) WHERE is_current = 1;--> statement-breakpoint
CREATE INDEX `decisions_team_seq_idx` ON `decisions` (`team_id`,`outcome`,`seq`);--> statement-breakpoint
CREATE INDEX `decisions_team_created_idx` ON `decisions` (`team_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`site_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer,
	`body` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`site_id`, `key`)
);
--> statement-breakpoint
CREATE TABLE `lead_dedupe` (
	`site_id` text NOT NULL,
	`email` text NOT NULL,
	`lead_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	PRIMARY KEY(`site_id`, `email`)
);
--> statement-breakpoint
CREATE TABLE `leads` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`site_id` text NOT NULL,
	`email` text NOT NULL,
	`payload` text NOT NULL,
	`input_hash` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`review_reason` text,
	`channel` text DEFAULT 'json' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `leads_status_idx` ON `leads` (`status`,`received_at`);--> statement-breakpoint
CREATE TABLE `lineage` (
	`decision_id` text PRIMARY KEY NOT NULL,
	`input_hash` text NOT NULL,
	`features` text NOT NULL,
	`vector` text NOT NULL,
	`reasons` text NOT NULL,
	`candidates` text NOT NULL,
	`timings` text NOT NULL,
	`shadow` text,
	`fallback_reason` text,
	`deal_value` real NOT NULL,
	`context` text DEFAULT '{}' NOT NULL,
	`provenance` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `models` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`sha256` text NOT NULL,
	`status` text NOT NULL,
	`manifest` text NOT NULL,
	`artifact_key` text NOT NULL,
	`size_bytes` integer NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`activated_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `models_name_version_idx` ON `models` (`name`,`version`);--> statement-breakpoint
CREATE INDEX `models_name_status_idx` ON `models` (`name`,`status`);--> statement-breakpoint
CREATE TABLE `outcomes` (
	`id` text PRIMARY KEY NOT NULL,
	`lead_id` text NOT NULL,
	`type` text NOT NULL,
	`amount` real,
	`occurred_at` integer NOT NULL,
	`team_id` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `outcomes_lead_idx` ON `outcomes` (`lead_id`);--> statement-breakpoint
CREATE TABLE `policies` (
	`version` integer PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`body` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`activated_at` integer
);
--> statement-breakpoint
CREATE TABLE `reps` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`timezone` text DEFAULT 'UTC' NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`weight` real DEFAULT 1 NOT NULL,
	`max_open` integer NOT NULL,
	`max_per_day` integer NOT NULL,
	`win_rate_factor` real DEFAULT 1 NOT NULL,
	`working_hours` text,
	`out_of_office_until` integer,
	`territory_ids` text DEFAULT '[]' NOT NULL,
	`segments` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`deleted_at` integer,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `reps_team_idx` ON `reps` (`team_id`);--> statement-breakpoint
CREATE TABLE `sites` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`team_id` text NOT NULL,
	`allowed_origins` text NOT NULL,
	`thank_you_url` text,
	`signing_secrets` text NOT NULL,
	`require_signature` integer DEFAULT false NOT NULL,
	`turnstile_secret` text,
	`dedupe_window_seconds` integer DEFAULT 86400 NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE TABLE `submissions` (
	`id` text PRIMARY KEY NOT NULL,
	`lead_id` text NOT NULL,
	`payload` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `territories` (
	`id` text PRIMARY KEY NOT NULL,
	`team_id` text NOT NULL,
	`name` text NOT NULL,
	`countries` text DEFAULT '[]' NOT NULL,
	`industries` text DEFAULT '[]' NOT NULL,
	`min_employees` integer,
	`max_employees` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL
);
