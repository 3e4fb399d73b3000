"""One radio snapshot of a network: path gains, serving cells, downlink/uplink SINR and CQI.

Everything is a (UEs x cells) or (UEs x sites) numpy pass; the LOS state and shadowing belong to the
UE-site link, so the three sectors of a site share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from netmgmt import link
from simulator.radio import antenna
from simulator.radio import pathloss_38901 as p38
from simulator.radio.cells import Cells
from simulator.radio.penetration import VEHICLE_MU_DB, O2iModel, o2i_loss, vehicle_loss
from simulator.radio.shadowing import ShadowField, shadow_field

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class RadioConfig:
    dl_ghz: float = 0.763
    ul_ghz: float = 0.793
    prbs: int = 50
    scs_khz: float = 15.0  # LTE; NR numerologies 30/60 kHz shorten the slot
    ue_power_dbm: float = 23.0
    ue_noise_figure_db: float = 9.0
    enb_noise_figure_db: float = 5.0
    p0_dbm_per_prb: float = -85.0  # uplink fractional power control P0 / alpha (typical, configurable)
    alpha: float = 0.8
    overhead_dl: float = 0.25  # PDCCH, CRS, PBCH/SS share of a PRB pair
    overhead_ul: float = 0.15  # DMRS, SRS
    sf_sigma_db: tuple[float, float, float, float] = (4.0, 8.0, 4.0, 6.0)  # RMa LOS/NLOS, UMa LOS/NLOS
    decorrelation_m: tuple[float, float] = (120.0, 50.0)  # RMa NLOS, UMa NLOS
    o2i: O2iModel = "38.901-low"
    indoor_max_m: float = 10.0  # d_2D-in ~ U(0, indoor_max_m)
    sf_sigma_o2i_db: float = 4.4  # 38.901-low: σ_P added to the outdoor shadowing; 36.873: indoor links' σ

    @property
    def prb_hz(self) -> float:
        return 12 * self.scs_khz * 1e3

    @property
    def dl_noise_dbm(self) -> float:
        """UE receiver noise over the occupied downlink PRBs."""
        return link.noise_dbm(self.prbs * self.prb_hz, self.ue_noise_figure_db)

    @property
    def slot_s(self) -> float:
        """Scheduling slot carrying one 12 x 14 resource-element PRB: 1 ms TTI in LTE."""
        return 1e-3 * 15.0 / self.scs_khz


@dataclass(frozen=True)
class Ues:
    xy: FloatArray
    height_m: FloatArray
    indoor: BoolArray
    vehicle: BoolArray

    def __len__(self) -> int:
        return len(self.xy)


@dataclass(frozen=True)
class Snapshot:
    gain_db: FloatArray  # (U, C) antenna gains - path loss - shadowing - penetration, at the DL frequency
    serving: IntArray
    rsrp_dbm: FloatArray
    dl_sinr_db: FloatArray
    ul_sinr_db: FloatArray
    ul_max_prbs: FloatArray  # PRBs the UE can fill at its power-controlled PSD before running out of power
    dl_bits_per_prb: FloatArray
    ul_bits_per_prb: FloatArray


@dataclass(frozen=True)
class SiteLinks:
    """What each UE-site link is made of; the three sectors of a site share it."""

    bearing_deg: FloatArray  # (U, S) compass bearing from the site (its nearest copy with wrap-around)
    elev_deg: FloatArray  # (U, S) angle below the site's horizon
    los: FloatArray  # (U, S) drawn LOS state (1 / 0), or the LOS probability in the median map
    loss_db: FloatArray  # (U, S) path loss + shadowing + penetration, at the DL frequency


def site_shadowing(rng: np.random.Generator, cells: Cells, cfg: RadioConfig) -> ShadowField:
    """One shadowing field per site, decorrelating over its environment's distance."""
    urban_site = cells.urban[np.unique(cells.site_index, return_index=True)[1]]
    return shadow_field(rng, np.where(urban_site, cfg.decorrelation_m[1], cfg.decorrelation_m[0]))


def site_links(rng: np.random.Generator, cells: Cells, ues: Ues, cfg: RadioConfig,
               median: bool = False, shadowing: ShadowField | None = None) -> SiteLinks:
    """median=True gives the planning map: LOS-probability-weighted path loss, no shadowing and mean
    penetration, so adjacent raster tiles agree. `shadowing` (from `site_shadowing`) keeps one field over
    several calls, so a UE that comes back to a place sees the same shadowing; None draws a fresh one."""
    h_bs = cells.site_height()
    urban_site = cells.urban[np.unique(cells.site_index, return_index=True)[1]]
    dxy = cells.site_to_ue(ues.xy)
    d2d = np.maximum(np.hypot(dxy[..., 0], dxy[..., 1]), 10.0)
    h = ues.height_m[:, None]
    tr36873 = cfg.o2i == "36.873"
    mean_in = cfg.indoor_max_m / 2.0  # the median map's indoor depth
    d_in = np.zeros(len(ues))
    if tr36873:  # TR 36.873: d_2D-in belongs to the drop, and the LOS probability takes d_2D - d_2D-in
        d_in = np.where(ues.indoor, mean_in if median else rng.uniform(0, cfg.indoor_max_m, len(ues)), 0.0)
    d_out = d2d - d_in[:, None]
    p_los = np.where(urban_site, p38.uma_los_probability(d_out, h), p38.rma_los_probability(d_out))
    los = p_los if median else (rng.random(d2d.shape) < p_los).astype(float)
    pl = np.empty_like(d2d)
    for urban, los_f, nlos_f in ((True, p38.uma_los, p38.uma_nlos), (False, p38.rma_los, p38.rma_nlos)):
        cols = urban_site == urban
        if cols.any():
            d, hb, w = d2d[:, cols], h_bs[cols], los[:, cols]
            pl[:, cols] = w * los_f(d, cfg.dl_ghz, hb, h) + (1.0 - w) * nlos_f(d, cfg.dl_ghz, hb, h)
    if median:
        pl += np.where(ues.indoor, o2i_loss(cfg.o2i, cfg.dl_ghz, mean_in), 0.0)[:, None]
        pl += np.where(ues.vehicle, VEHICLE_MU_DB, 0.0)[:, None]
        return _site_links(dxy, d2d, h, h_bs, los, pl)
    s = cfg.sf_sigma_db
    sigma = np.where(urban_site, np.where(los > 0.5, s[2], s[3]), np.where(los > 0.5, s[0], s[1]))
    if tr36873:  # one shadowing σ for every link of an indoor UE, instead of the LOS / NLOS one
        sigma = np.where(ues.indoor[:, None], cfg.sf_sigma_o2i_db, sigma)
    pl += sigma * (shadowing or site_shadowing(rng, cells, cfg)).sample(ues.xy)
    if tr36873:
        pl += np.where(ues.indoor, o2i_loss(cfg.o2i, cfg.dl_ghz, d_in), 0.0)[:, None]
    else:  # drawn here, after the shadowing: the plans' fixed-seed results stay bit-identical (checked)
        pl += np.where(ues.indoor, o2i_loss(cfg.o2i, cfg.dl_ghz, rng.uniform(0, cfg.indoor_max_m, len(ues)))
                       + cfg.sf_sigma_o2i_db * rng.standard_normal(len(ues)), 0.0)[:, None]
    pl += np.where(ues.vehicle, vehicle_loss(rng, len(ues)), 0.0)[:, None]
    return _site_links(dxy, d2d, h, h_bs, los, pl)


def _site_links(dxy: FloatArray, d2d: FloatArray, h: FloatArray, h_bs: FloatArray, los: FloatArray,
                pl: FloatArray) -> SiteLinks:
    bearing = 90.0 - np.degrees(np.arctan2(dxy[..., 1], dxy[..., 0]))
    return SiteLinks(bearing, np.degrees(np.arctan2(h_bs - h, d2d)), los, pl)


def antenna_gain(cells: Cells, ant: antenna.SectorAntenna, bearing_deg: FloatArray,
                 elev_deg: FloatArray) -> FloatArray:
    """(U, C) sector gains in dB towards per-site directions (U, S) or rays (U, S, R) -> (U, C, R)."""
    si = cells.site_index
    extra = (None,) * (bearing_deg.ndim - 2)  # broadcast the cells' boresight and tilt over rays
    return antenna.gain_db(ant, bearing_deg[:, si] - cells.azimuth_deg[(..., *extra)],
                           elev_deg[:, si][(..., *extra)], cells.tilt_deg[(..., *extra)])


def link_gain(cells: Cells, ant: antenna.SectorAntenna, links: SiteLinks) -> FloatArray:
    """(U, C) gains in dB: sector antenna gain minus the site link's loss."""
    return antenna_gain(cells, ant, links.bearing_deg, links.elev_deg) - links.loss_db[:, cells.site_index]


def path_gain(rng: np.random.Generator, cells: Cells, ant: antenna.SectorAntenna, ues: Ues,
              cfg: RadioConfig, median: bool = False) -> FloatArray:
    """(U, C) gains in dB of freshly drawn site links (see site_links)."""
    return link_gain(cells, ant, site_links(rng, cells, ues, cfg, median))


def snapshot(rng: np.random.Generator, cells: Cells, ant: antenna.SectorAntenna, ues: Ues,
             cfg: RadioConfig = RadioConfig(), dl_load: FloatArray | float = 1.0,
             ul_load: FloatArray | float = 0.5, median: bool = False) -> Snapshot:
    return link_budget(path_gain(rng, cells, ant, ues, cfg, median), cells, cfg, dl_load, ul_load)


def rx_re_dbm(gain: FloatArray, cells: Cells, cfg: RadioConfig) -> FloatArray:
    """(U, C) received power per resource element (the RSRP each cell would give), dBm."""
    return cells.power_dbm - 10.0 * np.log10(12 * cfg.prbs) + gain


def link_budget(gain: FloatArray, cells: Cells, cfg: RadioConfig, dl_load: FloatArray | float = 1.0,
                ul_load: FloatArray | float = 0.5, ul_interference: FloatArray | None = None) -> Snapshot:
    """Serving cell, SINR and CQI from path gains, with interference scaled by each cell's PRB load.
    ul_interference: (C,) uplink interference per PRB at each cell (mW) from elsewhere (uplink_interference over
    a larger population), instead of the one these UEs cause."""
    n = len(gain)
    rx = rx_re_dbm(gain, cells, cfg)
    serving = np.argmax(rx, axis=1)
    rows = np.arange(n)
    rsrp = rx[rows, serving]
    dl_sinr = link.sinr_db(cells.power_dbm + gain, serving, cfg.dl_noise_dbm,
                           np.broadcast_to(np.asarray(dl_load, dtype=float), (len(cells),)))
    p_rx, max_prbs = uplink_rx(gain, serving, cfg)
    if ul_interference is None:
        ul_interference = uplink_interference(*uplink_sources(p_rx, serving, len(cells)), ul_load)
    noise = link.db2lin(link.noise_dbm(cfg.prb_hz, cfg.enb_noise_figure_db))
    ul_sinr = link.lin2db(p_rx[rows, serving] / (ul_interference[serving] + noise))
    return Snapshot(
        gain_db=gain,
        serving=serving,
        rsrp_dbm=rsrp,
        dl_sinr_db=dl_sinr,
        ul_sinr_db=ul_sinr,
        ul_max_prbs=max_prbs,
        dl_bits_per_prb=link.bits_per_prb_tti(link.efficiency_from_cqi(link.cqi_from_sinr(dl_sinr)),
                                              cfg.overhead_dl),
        ul_bits_per_prb=link.bits_per_prb_tti(link.efficiency_from_cqi(link.cqi_from_sinr(ul_sinr)),
                                              cfg.overhead_ul),
    )


def uplink_rx(gain: FloatArray, serving: IntArray, cfg: RadioConfig) -> tuple[FloatArray, FloatArray]:
    """(U, C) mW per PRB each UE's power-controlled PSD arrives with at every cell, and (U,) the PRBs it can fill
    before running out of power. The uplink gains are the downlink ones shifted to the UL frequency (the models
    scale as 20 log10 f)."""
    ul_gain = gain - 20.0 * np.log10(cfg.ul_ghz / cfg.dl_ghz)
    pl_serv = -ul_gain[np.arange(len(gain)), serving]
    psd = np.minimum(cfg.p0_dbm_per_prb + cfg.alpha * pl_serv, cfg.ue_power_dbm)  # dBm per PRB
    max_prbs = np.clip(10.0 ** ((cfg.ue_power_dbm - psd) / 10.0), 1.0, cfg.prbs)
    return link.db2lin(psd[:, None] + ul_gain), max_prbs


def uplink_sources(p_rx: FloatArray, serving: IntArray, n_cells: int) -> tuple[FloatArray, FloatArray]:
    """(C, C) summed power each cell's UEs put into every cell, and (C,) how many UEs each cell serves: sums, so
    that populations seen in parts add up."""
    served_count = np.bincount(serving, minlength=n_cells).astype(float)
    order = np.argsort(serving, kind="stable")
    present = np.flatnonzero(served_count)
    by_src = np.zeros((n_cells, n_cells))
    by_src[present] = np.add.reduceat(p_rx[order], np.searchsorted(serving[order], present), axis=0)
    return by_src, served_count


def uplink_interference(by_src: FloatArray, served_count: FloatArray, ul_load: FloatArray | float) -> FloatArray:
    """(C,) mean interference a cell's UEs cause at every other cell, times that cell's PRB load, summed."""
    mean_src = by_src / np.maximum(served_count, 1.0)[:, None]
    load = np.broadcast_to(np.asarray(ul_load, dtype=float), (len(served_count),)) * (served_count > 0)
    return (mean_src * load[:, None]).sum(axis=0) - np.diag(mean_src) * load
