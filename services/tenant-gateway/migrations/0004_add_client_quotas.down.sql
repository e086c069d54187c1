ALTER TABLE "clients" DROP CONSTRAINT "clients_usage_alert_percent_check";--> statement-breakpoint
ALTER TABLE "clients" DROP CONSTRAINT "clients_monthly_request_quota_check";--> statement-breakpoint
ALTER TABLE "clients" DROP COLUMN "usage_alert_percent";--> statement-breakpoint
ALTER TABLE "clients" DROP COLUMN "monthly_request_quota";
