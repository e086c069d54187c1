DROP TABLE "memberships";
