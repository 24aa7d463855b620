/** Every route of the app. Signed-in screens sit behind RequireAuth; profiles and posts are public
 * (the API decides what an anonymous or blocked viewer may see); `/` is the feed or, signed out, the
 * landing page. */
import { useQueryClient } from "@tanstack/react-query";
import { lazy, type ReactNode, Suspense, useEffect, useRef } from "react";
import { Route, Routes, useLocation } from "react-router-dom";
import { RequireAuth, useMe } from "./auth/auth";
import { Layout } from "./components/Layout";
import { Explore } from "./screens/Explore";
import { ForgotPassword } from "./screens/ForgotPassword";
import { Home, prefetchFeed } from "./screens/Home";
import { Landing } from "./screens/Landing";
import { Login } from "./screens/Login";
import { NotFound } from "./screens/NotFound";
import { PostDetail } from "./screens/PostDetail";
import { Profile } from "./screens/Profile";
import { ResetPassword } from "./screens/ResetPassword";
import { RevertEmail } from "./screens/RevertEmail";
import { Signup } from "./screens/Signup";
import { VerifyEmail } from "./screens/VerifyEmail";
import { Spinner } from "./components/Spinner";

// Screens other than the feed, a post, a profile, Explore and the account screens a log-in or an
// email link opens load on first use, so a first visit downloads and runs only what it shows
// (issue 17: initial script within 100 KB gzipped).
const Collection = lazy(() => import("./screens/Collection").then((m) => ({ default: m.Collection })));
const Create = lazy(() => import("./screens/Create").then((m) => ({ default: m.Create })));
const EditProfile = lazy(() => import("./screens/EditProfile").then((m) => ({ default: m.EditProfile })));
const FollowList = lazy(() => import("./screens/FollowList").then((m) => ({ default: m.FollowList })));
const FollowRequests = lazy(() => import("./screens/FollowRequests").then((m) => ({ default: m.FollowRequests })));
const Hashtag = lazy(() => import("./screens/Hashtag").then((m) => ({ default: m.Hashtag })));
const Notifications = lazy(() => import("./screens/Notifications").then((m) => ({ default: m.Notifications })));
const Saved = lazy(() => import("./screens/Saved").then((m) => ({ default: m.Saved })));
const Search = lazy(() => import("./screens/Search").then((m) => ({ default: m.Search })));
const Settings = lazy(() => import("./screens/Settings").then((m) => ({ default: m.Settings })));
// The staff screens and the account status page load on first use too: most people never open them.
const AccountStatus = lazy(() => import("./moderation/AccountStatus").then((m) => ({ default: m.AccountStatus })));
const Announcements = lazy(() => import("./staff/Announcements").then((m) => ({ default: m.Announcements })));
const Audit = lazy(() => import("./staff/Audit").then((m) => ({ default: m.Audit })));
const Case = lazy(() => import("./staff/Case").then((m) => ({ default: m.Case })));
const Detection = lazy(() => import("./staff/Detection").then((m) => ({ default: m.Detection })));
const Featured = lazy(() => import("./staff/Featured").then((m) => ({ default: m.Featured })));
const Queue = lazy(() => import("./staff/Queue").then((m) => ({ default: m.Queue })));
const Recommendations = lazy(() => import("./staff/Recommendations").then((m) => ({ default: m.Recommendations })));
const Roles = lazy(() => import("./staff/Roles").then((m) => ({ default: m.Roles })));
const Rules = lazy(() => import("./staff/Rules").then((m) => ({ default: m.Rules })));
const StaffAccount = lazy(() => import("./staff/StaffAccount").then((m) => ({ default: m.StaffAccount })));

/** A screen whose code loads on first use. */
function Loaded({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Spinner label="Loading" />}>{children}</Suspense>;
}

/** A signed-in screen whose code loads on first use. */
function Later({ children }: { children: ReactNode }) {
  return (
    <RequireAuth>
      <Loaded>{children}</Loaded>
    </RequireAuth>
  );
}

/** `/`: the feed signed in, the landing page signed out. */
function HomeOrLanding() {
  const { me, loading } = useMe();
  const client = useQueryClient();
  const { search } = useLocation();
  // On a first load the feed is asked for beside `me`, not after it.
  const first = useRef(loading);
  useEffect(() => {
    if (first.current) prefetchFeed(client, search);
    first.current = false;
  }, []); // once, on the first load
  if (loading) return <Spinner label="Loading" />;
  return me ? <Home /> : <Landing />;
}

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route path="/login" element={<Login />} />
        <Route path="/signup" element={<Signup />} />
        <Route path="/" element={<HomeOrLanding />} />
        <Route path="/create" element={<Later><Create /></Later>} />
        <Route path="/explore" element={<Explore />} />
        <Route path="/search" element={<Loaded><Search /></Loaded>} />
        <Route path="/tags/:tag" element={<Loaded><Hashtag /></Loaded>} />
        <Route path="/p/:postId" element={<PostDetail />} />
        <Route path="/notifications" element={<Later><Notifications /></Later>} />
        <Route path="/requests" element={<Later><FollowRequests /></Later>} />
        <Route path="/saved" element={<Later><Saved /></Later>} />
        <Route path="/saved/:collectionId" element={<Later><Collection /></Later>} />
        <Route path="/settings" element={<Later><Settings /></Later>} />
        <Route path="/accounts/edit" element={<Later><EditProfile /></Later>} />
        <Route path="/accounts/verify-email" element={<VerifyEmail />} />
        <Route path="/accounts/status" element={<Later><AccountStatus /></Later>} />
        <Route path="/staff" element={<Later><Queue /></Later>} />
        <Route path="/staff/cases/:caseId" element={<Later><Case /></Later>} />
        <Route path="/staff/accounts/:username" element={<Later><StaffAccount /></Later>} />
        <Route path="/staff/rules" element={<Later><Rules /></Later>} />
        <Route path="/staff/detection" element={<Later><Detection /></Later>} />
        <Route path="/staff/roles" element={<Later><Roles /></Later>} />
        <Route path="/staff/audit" element={<Later><Audit /></Later>} />
        <Route path="/staff/recommendations" element={<Later><Recommendations /></Later>} />
        <Route path="/staff/announcements" element={<Later><Announcements /></Later>} />
        <Route path="/staff/featured" element={<Later><Featured /></Later>} />
        <Route path="/accounts/password/forgot" element={<ForgotPassword />} />
        <Route path="/accounts/password/reset" element={<ResetPassword />} />
        <Route path="/accounts/email/revert" element={<RevertEmail />} />
        <Route path="/:username" element={<Profile />} />
        <Route path="/:username/followers" element={<Loaded><FollowList kind="followers" /></Loaded>} />
        <Route path="/:username/following" element={<Loaded><FollowList kind="following" /></Loaded>} />
        <Route path="*" element={<NotFound />} />
      </Route>
    </Routes>
  );
}
