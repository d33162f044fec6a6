ALTER TABLE `teams` ADD `model_family` text;--> statement-breakpoint
ALTER TABLE `teams` ADD `retention_days` integer;--> statement-breakpoint
ALTER TABLE `policies` ADD `team_id` text;--> statement-breakpoint
CREATE INDEX `policies_team_status_idx` ON `policies` (`team_id`,`status`);--> statement-breakpoint
ALTER TABLE `experiments` ADD `team_id` text;--> statement-breakpoint
ALTER TABLE `leads` ADD `consent` integer;--> statement-breakpoint
ALTER TABLE `leads` ADD `masked_at` integer;--> statement-breakpoint
ALTER TABLE `leads` ADD `masked_by` text;--> statement-breakpoint
CREATE INDEX `leads_team_received_idx` ON `leads` (`team_id`,`received_at`);--> statement-breakpoint
ALTER TABLE `sites` ADD `consent_field` text;--> statement-breakpoint
CREATE INDEX `leads_email_idx` ON `leads` (`email`);--> statement-breakpoint
CREATE INDEX `decisions_lead_idx` ON `decisions` (`lead_id`);--> statement-breakpoint
CREATE INDEX `submissions_lead_idx` ON `submissions` (`lead_id`);
