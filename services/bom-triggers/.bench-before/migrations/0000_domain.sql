CREATE TABLE "materials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"sku" varchar(64) NOT NULL,
	"name" varchar(200) NOT NULL,
	"unit" varchar(20) NOT NULL,
	"unit_cost" numeric(14, 4) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "materials_tenant_sku" UNIQUE NULLS NOT DISTINCT("tenant_id","sku"),
	CONSTRAINT "materials_unit_cost_nonnegative" CHECK ("materials"."unit_cost" >= 0)
);
--> statement-breakpoint
CREATE TABLE "task_bom_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"task_id" uuid NOT NULL,
	"material_id" uuid NOT NULL,
	"quantity" numeric(14, 4) NOT NULL,
	"unit_cost" numeric(14, 4) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "task_bom_items_task_material" UNIQUE("task_id","material_id"),
	CONSTRAINT "task_bom_items_quantity_positive" CHECK ("task_bom_items"."quantity" > 0),
	CONSTRAINT "task_bom_items_unit_cost_nonnegative" CHECK ("task_bom_items"."unit_cost" >= 0)
);
--> statement-breakpoint
CREATE TABLE "task_costs" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"materials_total" numeric(18, 4) NOT NULL,
	"markup_percent" numeric(9, 4) NOT NULL,
	"total" numeric(18, 4) NOT NULL,
	"item_count" integer NOT NULL,
	"bom_version" integer NOT NULL,
	"calculated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"title" varchar(200) NOT NULL,
	"type" varchar(50) NOT NULL,
	"status" varchar(20) DEFAULT 'PENDING' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"bom_version" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "tasks_status_known" CHECK (status in ('PENDING', 'IN_PROGRESS', 'ON_HOLD', 'COMPLETED', 'CANCELLED'))
);
--> statement-breakpoint
CREATE TABLE "tenant_setups" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"provisioned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "task_bom_items" ADD CONSTRAINT "task_bom_items_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_bom_items" ADD CONSTRAINT "task_bom_items_material_id_materials_id_fk" FOREIGN KEY ("material_id") REFERENCES "public"."materials"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "task_costs" ADD CONSTRAINT "task_costs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_task_bom_items_material" ON "task_bom_items" USING btree ("material_id");--> statement-breakpoint
CREATE INDEX "idx_tasks_tenant_created" ON "tasks" USING btree ("tenant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_tasks_tenant_status" ON "tasks" USING btree ("tenant_id","status");