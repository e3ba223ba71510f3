/** The offline cloud's admin route (volume bytes over plain HTTP, health). */
export { ADMIN_PREFIX, adminRoute } from './admin-route';
