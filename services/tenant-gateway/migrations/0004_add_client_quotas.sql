ALTER TABLE "clients" ADD COLUMN "monthly_request_quota" bigint;--> statement-breakpoint
ALTER TABLE "clients" ADD COLUMN "usage_alert_percent" integer;--> statement-breakpoint
ALTER TABLE "clients" ADD CONSTRAINT "clients_monthly_request_quota_check" CHECK ("clients"."monthly_request_quota" is null or "clients"."monthly_request_quota" >= 0);--> statement-breakpoint
ALTER TABLE "clients" ADD CONSTRAINT "clients_usage_alert_percent_check" CHECK ("clients"."usage_alert_percent" is null or "clients"."usage_alert_percent" between 1 and 100);