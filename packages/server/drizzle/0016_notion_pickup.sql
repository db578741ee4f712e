CREATE TABLE "notion_pickups" (
	"mapping_id" text NOT NULL,
	"page_id" text NOT NULL,
	"task_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notion_pickups_mapping_id_page_id_pk" PRIMARY KEY("mapping_id","page_id")
);
--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD COLUMN "pickup_status" text;--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD COLUMN "pickup_user_id" text;--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD COLUMN "pickup_polled_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD COLUMN "pickup_error" text;--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD COLUMN "pickup_stopped" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "notion_pickups" ADD CONSTRAINT "notion_pickups_mapping_id_notion_mappings_id_fk" FOREIGN KEY ("mapping_id") REFERENCES "public"."notion_mappings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notion_pickups" ADD CONSTRAINT "notion_pickups_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notion_mappings" ADD CONSTRAINT "notion_mappings_pickup_user_id_users_id_fk" FOREIGN KEY ("pickup_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;